//! The public site as a person uses it: the real `stdreg serve`, headless
//! Debian Chromium driven over WebDriver, no network beyond the server.
//! Each page is checked for the bundled data it must show, its links are
//! followed, axe-core (injected from `.ci/browser/node_modules`) must find no
//! serious or critical violation, and screenshots at 1280 and 390 px wide are
//! written under `target/tmp/site-screenshots/`.
//!
//! Without Chromium, chromedriver or axe-core the browser tests print why and
//! pass; `.ci/run` installs them and sets `STDREG_REQUIRE_BROWSER=1`, which
//! turns a missing tool into a failure.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use support::{Scratch, Server, header, http_get as get};

/// Bounds every wait on the browser.
const WAIT: Duration = Duration::from_secs(30);
const WIDTHS: [u32; 2] = [1280, 390];
/// Tallest screenshot taken: long pages are cut there.
const SHOT_HEIGHT_MAX: u32 = 7_000;

/// What the browser tests need installed.
#[derive(Debug)]
struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    axe: String,
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}

fn tools() -> Result<Tools, String> {
    let chromium = find_program("chromium").ok_or("chromium is not installed")?;
    let chromedriver = find_program("chromedriver").ok_or("chromedriver is not installed")?;
    let axe_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.ci/browser/node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(&axe_path).map_err(|_| {
        format!(
            "axe-core is not installed at {} (run `npm ci` in .ci/browser)",
            axe_path.display()
        )
    })?;
    Ok(Tools {
        chromium,
        chromedriver,
        axe,
    })
}

/// The tools, or `None` after printing why the test is skipped.
fn tools_or_skip() -> Option<Tools> {
    match tools() {
        Ok(tools) => Some(tools),
        Err(reason) if std::env::var("STDREG_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!("STDREG_REQUIRE_BROWSER=1 but {reason}")
        }
        Err(reason) => {
            eprintln!("skipping the browser test: {reason}");
            None
        }
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("site-screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshot folder");
    dir
}

/// chromedriver and one headless Chromium session; both end when dropped.
struct Browser {
    driver: Child,
    client: Option<Client>,
    axe: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start(tools: Tools) -> Self {
        let port = {
            let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            socket.local_addr().expect("address").port()
        };
        let mut driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let stdout = driver.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.contains("started successfully") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(WAIT)
            .expect("chromedriver said it started within the wait");
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--force-device-scale-factor=1".to_owned(),
            "--lang=zh-CN".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": tools.chromium, "args": args }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Self {
            driver,
            client: Some(client),
            axe: tools.axe,
            _profile: profile,
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("an open session")
    }

    async fn goto(&self, url: &str) {
        self.client().goto(url).await.expect("navigate");
    }

    /// The text a reader sees on the page.
    async fn text(&self) -> String {
        self.script("return document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn script(&self, script: &str) -> Value {
        self.client()
            .execute(script, vec![])
            .await
            .expect("run a script")
    }

    /// Follows the first link whose text contains `text` and returns the new URL.
    async fn follow(&self, text: &str) -> String {
        let link = self
            .client()
            .find(Locator::XPath(&format!(
                "//main//a[contains(normalize-space(.), '{text}')]"
            )))
            .await
            .unwrap_or_else(|e| panic!("no link '{text}' on the page: {e}"));
        link.click().await.expect("click the link");
        self.client()
            .current_url()
            .await
            .expect("current url")
            .to_string()
    }

    /// Every resource the page loaded came from `origin`.
    async fn assert_offline(&self, origin: &str) {
        let urls = self
            .script(
                "return performance.getEntriesByType('resource').map(e => e.name)
                   .concat([document.location.href])",
            )
            .await;
        for url in urls.as_array().expect("a list of urls") {
            let url = url.as_str().unwrap_or_default();
            assert!(
                url.starts_with(origin),
                "the page loaded {url} from outside the server"
            );
        }
    }

    /// Runs axe-core on the page; fails on any serious or critical violation.
    async fn assert_accessible(&self, name: &str) {
        self.client()
            .execute(&self.axe, vec![])
            .await
            .expect("inject axe-core");
        let found = self
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                        + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        let found: Vec<String> = serde_json::from_value(found).expect("a list of violations");
        assert!(found.is_empty(), "{name}: axe-core found {found:#?}");
    }

    /// Screenshots of the whole page (cut at [`SHOT_HEIGHT_MAX`]) at each width.
    async fn screenshots(&self, name: &str) {
        for width in WIDTHS {
            self.client()
                .set_window_size(width, 900)
                .await
                .expect("resize");
            let height = self
                .script("return document.documentElement.scrollHeight")
                .await
                .as_u64()
                .unwrap_or(900)
                .clamp(600, u64::from(SHOT_HEIGHT_MAX)) as u32;
            self.client()
                .set_window_size(width, height)
                .await
                .expect("resize to the page");
            let png = self.client().screenshot().await.expect("screenshot");
            std::fs::write(screenshot_dir().join(format!("{name}-{width}.png")), png)
                .expect("write the screenshot");
        }
        self.client()
            .set_window_size(WIDTHS[0], 900)
            .await
            .expect("resize back");
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A registry with the bundled national data and the local examples, served.
fn serve() -> (Scratch, Server) {
    let scratch = Scratch::imported();
    scratch.ok(&["import", "--local-examples"]);
    let server = Server::start(&scratch.data().display().to_string(), &[]);
    (scratch, server)
}

/// One page: what it must say, then its checks and screenshots.
async fn check_page(browser: &Browser, origin: &str, name: &str, path: &str, expected: &[&str]) {
    browser.goto(&format!("{origin}{path}")).await;
    let text = browser.text().await;
    for needle in expected {
        assert!(
            text.contains(needle),
            "{name} ({path}) does not show '{needle}':\n{text}"
        );
    }
    let lang = browser.script("return document.documentElement.lang").await;
    assert_eq!(lang, json!("zh-CN"), "{name}: page language");
    browser.assert_offline(origin).await;
    browser.assert_accessible(name).await;
    browser.screenshots(name).await;
}

/// Every page, what it must show of the bundled data.
const PAGES: &[(&str, &str, &[&str])] = &[
    (
        "home",
        "/",
        &[
            "国家基本公共服务标准登记簿",
            "记录截至",
            "上海市基本公共服务实施标准",
        ],
    ),
    (
        "standard-2022-06-01",
        "/CN/2022-06-01",
        &[
            "2022-06-01 施行的合并文本",
            "国家基本公共服务标准(2021年版)",
            "幼有所育",
            "农村免费孕前优生健康检查",
            "未记录",
            "已登记、尚未生效的修订",
            "国家基本公共服务标准(2023年版)",
        ],
    ),
    (
        "standard-not-in-force",
        "/CN/2020-01-01",
        &["该日没有施行中的文本在册", "2021-03-30"],
    ),
    (
        "compare-2023-adjustment",
        "/CN/compare/2022-06-01/2024-01-01",
        &[
            "新增",
            "增补叶酸预防神经管缺陷服务",
            "收听广播",
            "首次记录",
            "80",
            "81",
        ],
    ),
    (
        "item-radio-listening",
        "/CN/2024-01-01/items/radio-listening",
        &[
            "收听广播",
            "提供不少于15套广播节目",
            "时间线",
            "国家基本公共服务标准(2023年版)",
            "GB/T 7714-2015",
            "CSL-JSON",
            "签名检查点",
        ],
    ),
    (
        "revision-cn-2023",
        "/revisions/cn-2023",
        &[
            "国家基本公共服务标准(2023年版)",
            "影响",
            "增补叶酸预防神经管缺陷服务",
            "GB/T 7714-2015",
        ],
    ),
    (
        "compliance-shanghai",
        "/compliance/310000/2024-07-01",
        &["上海市", "达标情况", "结论"],
    ),
    (
        "compliance-summary",
        "/compliance/summary/CN/2024-07-01",
        &["上海市", "北京市", "未达标"],
    ),
    (
        "search",
        "/search?q=%E5%B9%BF%E6%92%AD&date=2024-01-01",
        &["检索", "收听广播", "2023-08-09"],
    ),
    (
        "search-filtered",
        "/search?q=%E4%BD%93%E8%82%B2&date=2024-12-31&aspect=WTFW&field=name&field=service_content",
        &["更多条件", "体育", "方面"],
    ),
    (
        "not-found-jurisdiction",
        "/XX/2022-06-01",
        &["未找到", "is not a jurisdiction"],
    ),
    (
        "not-found-item",
        "/CN/2022-06-01/items/no-such-item",
        &["未找到", "has no item no-such-item"],
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_in_a_browser() {
    let Some(tools) = tools_or_skip() else {
        return;
    };
    let (_scratch, server) = serve();
    let origin = format!("http://{}", server.address);
    let browser = Browser::start(tools).await;

    for (name, path, expected) in PAGES {
        check_page(&browser, &origin, name, path, expected).await;
    }

    // A reader's way: the home page to the standard, an item, its documents.
    browser.goto(&format!("{origin}/")).await;
    let url = browser.follow("今日施行的国家标准").await;
    assert!(url.contains("/CN/"), "home → standard: {url}");
    browser.goto(&format!("{origin}/CN/2024-01-01")).await;
    let url = browser.follow("收听广播").await;
    assert!(
        url.ends_with("/CN/2024-01-01/items/radio-listening"),
        "standard → item: {url}"
    );
    let url = browser.follow("cn-2023").await;
    assert!(
        url.ends_with("/revisions/cn-2023"),
        "item → revision: {url}"
    );
    let url = browser.follow("增补叶酸预防神经管缺陷服务").await;
    assert!(
        url.contains("/items/folic-acid-ntd-prevention"),
        "revision → item: {url}"
    );
    // The forms work without JavaScript: a date, and two dates to compare.
    browser.goto(&format!("{origin}/CN/2022-06-01")).await;
    let url = browser.follow("下一版本").await;
    assert!(url.ends_with("/CN/2023-08-09"), "next version: {url}");
    browser
        .goto(&format!(
            "{origin}/CN/compare?from=2022-06-01&to=2024-01-01"
        ))
        .await;
    let url = browser
        .client()
        .current_url()
        .await
        .expect("url")
        .to_string();
    assert!(
        url.ends_with("/CN/compare/2022-06-01/2024-01-01"),
        "compare form: {url}"
    );

    // GraphiQL loads from the server alone and runs its query.
    browser.goto(&format!("{origin}/graphiql")).await;
    let run = browser
        .client()
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".graphiql-execute-button"))
        .await
        .expect("GraphiQL rendered its run button");
    run.click().await.expect("run the query");
    browser
        .client()
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//section[contains(@class, 'result-window')]//*[contains(text(), '幼有所育')]",
        ))
        .await
        .expect("GraphiQL shows the answer of its query");
    browser.assert_offline(&origin).await;
    browser.screenshots("graphiql").await;

    browser.close().await;
}

/// One HTTP/1.0 GET: status, headers (lowercase names), body.
#[test]
fn feeds_downloads_and_validators_over_http() {
    let (_scratch, server) = serve();
    let address = &server.address;

    // Atom, read by an independent parser: newest first, one entry per revision, linked.
    for path in ["/feed.atom", "/CN/feed.atom"] {
        let (status, headers, body) = get(address, path, &[]);
        assert_eq!(status, 200, "{path}");
        assert!(
            header(&headers, "content-type").is_some_and(|t| t.starts_with("application/atom+xml"))
        );
        let feed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(!feed.entries.is_empty(), "{path} has entries");
        let updated: Vec<_> = feed.entries.iter().map(|e| e.updated).collect();
        assert!(
            updated.windows(2).all(|w| w[0] >= w[1]),
            "{path}: newest first"
        );
        let cn_2023 = feed
            .entries
            .iter()
            .find(|e| {
                e.title
                    .as_ref()
                    .is_some_and(|t| t.content.contains("2023年版"))
            })
            .unwrap_or_else(|| panic!("{path} lists the 2023 adjustment"));
        assert!(
            cn_2023
                .links
                .iter()
                .any(|l| l.href.ends_with("/revisions/cn-2023"))
        );
        let content = cn_2023
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        assert!(
            content.contains("增补叶酸预防神经管缺陷服务"),
            "{path}: effects in the entry"
        );
    }
    let (_, _, body) = get(address, "/CN/feed.atom", &[]);
    let national = feed_rs::parser::parse(&body[..]).expect("national feed");
    assert!(
        national
            .entries
            .iter()
            .all(|e| !e.title.as_ref().is_some_and(|t| t.content.contains("上海"))),
        "the national feed holds national revisions only"
    );

    // Downloads: CSV with a byte order mark, JSON of the same edition.
    let (status, headers, csv) = get(address, "/CN/2022-06-01.csv", &[]);
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").is_some_and(|t| t.starts_with("text/csv")));
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = String::from_utf8(csv[3..].to_vec()).expect("utf-8");
    assert!(text.contains("农村免费孕前优生健康检查"));
    let rows = text.lines().count() - 1;
    let (_, _, json) = get(address, "/CN/2022-06-01.json", &[]);
    let json: Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(json["valid_at"], "2022-06-01");
    assert_eq!(
        json["item_count"].as_u64(),
        Some(rows as u64),
        "one row per item"
    );

    // Conditional GET: the same page again is not sent twice.
    let (status, headers, _) = get(address, "/CN/2022-06-01", &[]);
    assert_eq!(status, 200);
    let etag = header(&headers, "etag").expect("an ETag").to_owned();
    let modified = header(&headers, "last-modified")
        .expect("Last-Modified")
        .to_owned();
    let (status, _, body) = get(address, "/CN/2022-06-01", &[("If-None-Match", &etag)]);
    assert_eq!((status, body.len()), (304, 0));
    let (status, _, _) = get(
        address,
        "/CN/2022-06-01",
        &[("If-Modified-Since", &modified)],
    );
    assert_eq!(status, 304);

    // What does not exist says so, with the right status.
    let table: &[(&str, u16, &str)] = &[
        ("/XX/2022-06-01", 404, "is not a jurisdiction"),
        ("/990000/2022-06-01", 404, "standards on record:"),
        ("/CN/2022-13-45", 404, "is not a date"),
        ("/CN/2022-06-01/items/no-such-item", 404, "has no item"),
        ("/revisions/no-such-revision", 404, "is not recorded"),
        ("/CN/compare/2024-01-01/2022-01-01", 400, "swap them"),
        (
            "/CN/2022-06-01?known_at=yesterday",
            400,
            "is not a record time",
        ),
        ("/no/such/page/at/all", 404, "nothing is published at"),
    ];
    for (path, expected, needle) in table {
        let (status, _, body) = get(address, path, &[]);
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, *expected, "{path}: {body}");
        assert!(
            body.contains(needle),
            "{path} should say '{needle}': {body}"
        );
    }
    let (status, headers, _) = get(address, "/CN", &[]);
    assert_eq!(status, 303);
    assert!(header(&headers, "location").is_some_and(|l| l.starts_with("/CN/")));
}

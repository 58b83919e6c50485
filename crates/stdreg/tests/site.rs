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
use support::{Scratch, Server};

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

    #[allow(dead_code)] // the pages of the read model use it; they land next
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_in_a_browser() {
    let Some(tools) = tools_or_skip() else {
        return;
    };
    let (_scratch, server) = serve();
    let origin = format!("http://{}", server.address);
    let browser = Browser::start(tools).await;

    check_page(
        &browser,
        &origin,
        "home",
        "/",
        &["国家基本公共服务标准登记簿", "记录截至"],
    )
    .await;
    check_page(
        &browser,
        &origin,
        "not-found",
        "/no/such/page/here",
        &["未找到", "/no/such/page/here"],
    )
    .await;

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

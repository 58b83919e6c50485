//! The witness over HTTP, in process: the client's request, the status
//! codes of refusals, and the state file that outlives a restart.

use std::sync::Arc;

use tokio::sync::watch;
use transparency::{AddCheckpoint, CosignerSigner, MerkleTree, NoteSigner, leaf_hash};
use witness::{ClientError, Witness, WitnessClient};

fn tree(size: u64, fork: bool) -> MerkleTree {
    MerkleTree::from_leaf_hashes((0..size).map(|i| {
        let tag = if fork && i == 0 { "forked" } else { "event" };
        leaf_hash(format!("{tag} {i}").as_bytes())
    }))
}

fn request(log: &NoteSigner, tree: &MerkleTree, old_size: u64) -> AddCheckpoint {
    let size = tree.size();
    AddCheckpoint {
        old_size,
        proof: if old_size == 0 || old_size >= size {
            Vec::new()
        } else {
            tree.consistency_proof(old_size, size).expect("proof")
        },
        note: log.sign(size, tree.root()).note().to_owned(),
    }
}

/// Serves a witness on a free port; the sender stops it.
async fn start(
    signer: &CosignerSigner,
    log: &NoteSigner,
    state: &std::path::Path,
) -> (
    WitnessClient,
    watch::Sender<bool>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let witness =
        Witness::open(signer.clone(), vec![log.verifier()], state).expect("open the state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(witness::serve(listener, Arc::new(witness), stopped));
    let client = WitnessClient::new(&url, signer.verifier()).expect("client");
    (client, stop, server)
}

#[tokio::test]
async fn cosigns_over_http_and_remembers_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state.json");
    let log = NoteSigner::from_seed("example.org/stdreg", [7; 32]).expect("log key");
    let signer = CosignerSigner::from_seed("witness.example/w1", [1; 32]).expect("witness key");
    let honest = tree(6, false);

    let (client, stop, server) = start(&signer, &log, &state).await;
    let first = request(&log, &tree(3, false), 0);
    let lines = client
        .add_checkpoint(&first)
        .await
        .expect("first checkpoint");
    let signed = log.verifier().open(&first.note).expect("opens");
    assert!(
        signer
            .verifier()
            .verify(signed.with_signature_lines(&lines).note())
            .is_ok()
    );
    // A client that does not know the witness's size learns it from the 409.
    match client.add_checkpoint(&request(&log, &honest, 0)).await {
        Err(ClientError::Conflict { size: 3 }) => {}
        other => panic!("expected a conflict at size 3, got {other:?}"),
    }
    client
        .add_checkpoint(&request(&log, &honest, 3))
        .await
        .expect("consistent extension");
    let _ = stop.send(true);
    server.await.expect("join").expect("served");

    // Restarted from its state file, it still refuses a rollback and a fork.
    let (client, stop, server) = start(&signer, &log, &state).await;
    let cases = [
        ("rollback", request(&log, &tree(3, false), 6), 400),
        (
            "fork at the same size",
            request(&log, &tree(6, true), 6),
            409,
        ),
        (
            "fork that extends another history",
            request(&log, &tree(8, true), 6),
            422,
        ),
    ];
    for (case, request, status) in cases {
        match client.add_checkpoint(&request).await {
            Err(ClientError::Refused { status: got, .. }) => assert_eq!(got, status, "{case}"),
            other => panic!("{case}: expected status {status}, got {other:?}"),
        }
    }
    let mut unknown = request(&log, &honest, 6);
    unknown.note = NoteSigner::from_seed("example.org/other", [8; 32])
        .expect("key")
        .sign(6, honest.root())
        .note()
        .to_owned();
    match client.add_checkpoint(&unknown).await {
        Err(ClientError::Refused { status: 404, .. }) => {}
        other => panic!("an unknown log: expected 404, got {other:?}"),
    }
    client
        .add_checkpoint(&request(&log, &honest, 6))
        .await
        .expect("the same checkpoint again");
    let _ = stop.send(true);
    server.await.expect("join").expect("served");
}

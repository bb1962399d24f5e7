//! `medshare-migrations` as a real deployment uses it, on a real validator: a deploy killed
//! while writing its buffer resumes from the buffer keypair it kept (only missing chunks are
//! written again); the upgrade authority can be an address that signs elsewhere (a
//! multisig): the deploy hands it the program, an upgrade stops at `buffer_ready` with the
//! buffer handed over and the instruction to execute; a payer that is not the authority is
//! refused by name; an abandoned buffer is reclaimed with `--close-buffer`.

use medshare_client::PROGRAM_ID;
use medshare_tests::{deployment::Binary, localnet::BlockingLocalnet, program_so};
use serde_json::Value;
use solana_keypair::Keypair;
use solana_loader_v3_interface::get_program_data_address;
use solana_signer::Signer;
use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

struct Setup {
    localnet: BlockingLocalnet,
    dir: PathBuf,
    payer: PathBuf,
    payer_address: medshare_client::Address,
}

impl Setup {
    fn new() -> Setup {
        let localnet = BlockingLocalnet::start_with(false);
        let dir = std::env::temp_dir().join(format!("medshare-migrations-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let payer = Keypair::new();
        let path = dir.join("deployer.json");
        solana_keypair::write_keypair_file(&payer, &path).unwrap();
        let transfer = solana_system_interface::instruction::transfer(&localnet.mint.pubkey(), &payer.pubkey(), 50 * 1_000_000_000);
        let blockhash = localnet.rpc.get_latest_blockhash().unwrap();
        let tx = solana_transaction::Transaction::new_signed_with_payer(&[transfer], Some(&localnet.mint.pubkey()), &[&localnet.mint], blockhash);
        localnet.rpc.send_and_confirm_transaction(&tx).unwrap();
        Setup { localnet, dir, payer: path, payer_address: payer.pubkey() }
    }

    fn args(&self, program: &Path, extra: &[&str]) -> Vec<String> {
        let keypair = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../programs/medical-records/keys/medical_records-keypair.json");
        let mut args: Vec<String> =
            ["--url", &self.localnet.validator.rpc_url(), "--keypair", path(&self.payer), "--program", path(program), "--program-keypair", path(&keypair)]
                .map(String::from)
                .to_vec();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    fn migrations(&self, program: &Path, extra: &[&str]) -> Output {
        Command::new(Binary::Migrations.path()).args(self.args(program, extra)).stdin(Stdio::null()).output().expect("run medshare-migrations")
    }

    fn succeed(&self, program: &Path, extra: &[&str]) -> Value {
        let output = self.migrations(program, extra);
        assert!(output.status.success(), "medshare-migrations failed:\n{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("a JSON report")
    }

    /// Starts a slow deployment and kills it once some, not all, of its buffer is written.
    fn kill_while_writing(&self, program: &Path, buffer: &Path, authority: &str) {
        let mut child = Command::new(Binary::Migrations.path())
            .args(self.args(program, &["--writes-per-second", "4", "--buffer", path(buffer), "--upgrade-authority", authority]))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join("killed-run.log")).expect("log file"))
            .spawn()
            .expect("spawn medshare-migrations");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = || std::fs::read_to_string(self.dir.join("killed-run.log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "the buffer never started filling:\n{}", log());
            if let Some(status) = child.try_wait().expect("poll the child") {
                panic!("medshare-migrations ended ({status}) before it could be killed:\n{}", log());
            }
            if let Some(written) = self.buffer_written(buffer)
                && written >= 2
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
    }

    /// Chunks of the buffer (named by its kept keypair) holding non-zero bytes.
    fn buffer_written(&self, buffer: &Path) -> Option<usize> {
        let keypair = solana_keypair::read_keypair_file(buffer).ok()?;
        let account = self.localnet.rpc.get_account(&keypair.pubkey()).ok()?;
        Some(account.data[37..].chunks(950).filter(|chunk| chunk.iter().any(|b| *b != 0)).count())
    }

    fn balance(&self) -> u64 {
        self.localnet.rpc.get_balance(&self.payer_address).unwrap()
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn deploys_resume_hand_over_to_a_multisig_and_reclaim_buffers() {
    let s = Setup::new();
    let multisig = Keypair::new().pubkey().to_string();
    let program = program_so();
    let buffer = s.dir.join("buffer.json");
    assert!(s.localnet.rpc.get_account(&PROGRAM_ID).is_err(), "the validator starts without the program");

    // --- killed while writing: the buffer keypair was kept; the rerun resumes it
    s.kill_while_writing(&program, &buffer, &multisig);
    let written_before = s.buffer_written(&buffer).expect("the killed run left its buffer");
    let buffer_address = solana_keypair::read_keypair_file(&buffer).unwrap().pubkey().to_string();
    let report = s.succeed(&program, &["--buffer", path(&buffer), "--upgrade-authority", &multisig, "--writes-per-second", "200"]);
    assert_eq!(report["deployment"], "deployed", "{report}");
    assert_eq!(report["resumed_buffer"], true);
    assert_eq!(report["buffer"], buffer_address.as_str(), "the same buffer, not a new one");
    let total = std::fs::metadata(&program).unwrap().len().div_ceil(950);
    assert!(report["chunks_already_written"].as_u64().unwrap() >= written_before as u64, "{report}");
    assert!(report["writes_sent"].as_u64().unwrap() < total, "only the missing chunks were written: {report}");
    assert!(!buffer.exists(), "the buffer is consumed by the deploy: its keypair is forgotten");
    assert_eq!(report["upgrade_authority"], multisig.as_str(), "the multisig holds the program");
    let programdata = s.localnet.rpc.get_account(&get_program_data_address(&PROGRAM_ID)).unwrap();
    assert_eq!(&programdata.data[13..45], multisig.parse::<medshare_client::Address>().unwrap().as_ref());
    assert_eq!(report["cluster_created"], true);

    // --- the deployed program runs: the same bytes again change nothing
    let again = s.succeed(&program, &[]);
    assert_eq!((again["deployment"].as_str(), again["cluster_created"].as_bool()), (Some("unchanged"), Some(false)));

    // --- an upgrade by a payer that is not the authority is refused by name, sends nothing
    let mut changed = std::fs::read(&program).unwrap();
    changed.extend_from_slice(b"an upgrade");
    let upgraded = s.dir.join("medical_records_v2.so");
    std::fs::write(&upgraded, &changed).unwrap();
    let before = s.balance();
    let refused = s.migrations(&upgraded, &["--buffer", path(&buffer)]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains(&format!("upgrade authority is {multisig}")), "{stderr}");
    assert_eq!(s.balance(), before, "nothing was paid for");
    assert!(!buffer.exists(), "no buffer was made");

    // --- with the multisig as authority, the upgrade stops at buffer_ready: the buffer is
    // the multisig's, and the report holds the instruction it must execute
    let ready = s.succeed(&upgraded, &["--buffer", path(&buffer), "--upgrade-authority", &multisig, "--writes-per-second", "200"]);
    assert_eq!(ready["deployment"], "buffer_ready", "{ready}");
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&changed));
    assert_eq!(ready["program_sha256"], sha256.as_str(), "the hash the multisig's signers check the buffer against");
    let handed: medshare_client::Address = ready["buffer"].as_str().unwrap().parse().unwrap();
    let handed_account = s.localnet.rpc.get_account(&handed).unwrap();
    assert_eq!(&handed_account.data[5..37], multisig.parse::<medshare_client::Address>().unwrap().as_ref(), "the buffer's authority is the multisig");
    assert_eq!(&handed_account.data[37..], &changed[..], "the buffer holds the new bytes");
    let accounts = ready["upgrade_instruction"]["accounts"].as_array().unwrap();
    assert!(accounts.iter().any(|a| a["address"] == multisig.as_str() && a["signer"] == true), "{ready}");
    assert!(accounts.iter().any(|a| a["address"] == handed.to_string().as_str()));

    // --- an abandoned buffer is reclaimed: its rent comes back to the payer
    s.kill_while_writing(&upgraded, &buffer, &multisig);
    let abandoned = solana_keypair::read_keypair_file(&buffer).unwrap().pubkey();
    let rent = s.localnet.rpc.get_balance(&abandoned).unwrap();
    assert!(rent > 0);
    let before = s.balance();
    let closed = s.succeed(&upgraded, &["--buffer", path(&buffer), "--close-buffer"]);
    assert_eq!(closed["buffer"], abandoned.to_string().as_str());
    assert_eq!(closed["lamports_reclaimed"].as_u64(), Some(rent));
    assert!(s.localnet.rpc.get_account(&abandoned).is_err(), "the buffer is closed");
    let gained = s.balance() as i128 - before as i128;
    assert!(gained > rent as i128 - 100_000 && gained <= rent as i128, "the rent (less a fee) came back: {gained} of {rent}");
    assert!(!buffer.exists());
    let nothing = s.succeed(&upgraded, &["--buffer", path(&buffer), "--close-buffer"]);
    assert_eq!(nothing["lamports_reclaimed"], 0, "nothing left to reclaim");
}

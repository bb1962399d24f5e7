//! One patient, her record and the doctor every share goes to, driven through the real
//! `medshare` binary on a [`Deployment`]: what the localnet fault tests share and count.

use crate::deployment::{Deployment, NodeTransaction, Wallet};
use serde_json::Value;
use std::{collections::BTreeSet, time::Duration};

/// The instruction a node posts its partial with.
pub const CALLBACK: &str = "share_patient_data_callback";

/// The patient, her record and the recipient every share goes to.
pub struct Story {
    /// The record's owner.
    pub patient: Wallet,
    /// The recipient of every share.
    pub doctor: Wallet,
    /// The record's address.
    pub record: String,
    /// The record's plaintext.
    bundle: &'static [u8],
}

impl Story {
    /// A registered patient and doctor, and the patient's record of `bundle` on `d`'s cluster.
    pub fn new(d: &Deployment, bundle: &'static [u8]) -> Story {
        let patient = d.wallet("patient", 10);
        let doctor = d.wallet("doctor", 10);
        for user in [&patient, &doctor] {
            d.medshare(user, &["register-key"]).expect_success();
        }
        let file = d.file("bundle.json", bundle);
        let stored = d.medshare(&patient, &["store", file.to_str().expect("UTF-8 path"), "--cluster", &d.cluster.to_string()]).expect_success().json();
        Story { patient, doctor, record: stored["record"].as_str().expect("record").to_owned(), bundle }
    }

    /// `medshare share`: a new pending request to the doctor.
    pub fn share(&self, d: &Deployment) -> String {
        let made = d.medshare(&self.patient, &["share", &self.record, &self.doctor.address.to_string()]).expect_success().json();
        made["request"].as_str().expect("request").to_owned()
    }

    /// The request as `medshare requests --record` lists it.
    pub fn request(&self, d: &Deployment, request: &str) -> Value {
        d.request_status(&self.patient, &self.record, request)
    }

    /// The member indices whose partials the request holds.
    pub fn accepted(&self, d: &Deployment, request: &str) -> BTreeSet<u64> {
        let listed = self.request(d, request);
        listed["partials"].as_array().expect("partials").iter().map(|i| i.as_u64().expect("an index")).collect()
    }

    /// Waits up to `timeout` until the request holds exactly the partials of `nodes`.
    pub fn wait_accepted(&self, d: &Deployment, request: &str, nodes: &[u64], timeout: Duration) {
        let expected = set(nodes);
        d.wait_until(&format!("{request} answered by {nodes:?}"), timeout, |d| self.accepted(d, request) == expected);
    }

    /// `medshare open --wait <wait>` as the doctor: the share completed and decrypts to the
    /// bundle.
    pub fn opens(&self, d: &Deployment, request: &str, wait: &str) {
        let out = d.dir.join(format!("opened-{request}.json"));
        let opened = d.medshare(&self.doctor, &["open", request, "--wait", wait, "--out", out.to_str().expect("UTF-8 path")]).expect_success().json();
        assert_eq!(opened["opened_as"], "recipient");
        assert_eq!(std::fs::read(&out).expect("opened file"), self.bundle, "the doctor's plaintext is byte-equal");
    }

    /// The request completed, exactly once, with the partials of `nodes`.
    pub fn completed_by(&self, d: &Deployment, request: &str, nodes: &[u64]) {
        let listed = self.request(d, request);
        assert_eq!(listed["status"], "completed", "{listed:#}");
        assert_eq!(self.accepted(d, request), set(nodes), "{listed:#}");
    }
}

/// `nodes` as a set.
pub fn set(nodes: &[u64]) -> BTreeSet<u64> {
    nodes.iter().copied().collect()
}

/// The node's transactions that posted a partial to `request`.
pub fn callbacks<'a>(transactions: &'a [NodeTransaction], request: &str) -> Vec<&'a NodeTransaction> {
    let request = request.parse().expect("a request address");
    transactions.iter().filter(|tx| tx.is(CALLBACK, &request)).collect()
}

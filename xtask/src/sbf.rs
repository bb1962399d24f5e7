//! `cargo xtask build-sbf`: the program's `.so` (route A of `sbf/README.md`), its keypair
//! and IDL at Anchor's usual paths; and the program crate's host unit tests.

use crate::{
    paths::{self, NIGHTLY, PROGRAM},
    run_step,
};
use anchor_lang_idl::types::{Idl, IdlDefinedFields, IdlGenericArg, IdlType, IdlTypeDefTy};
use anyhow::{Context, Result, bail};
use std::{collections::BTreeMap, fs};

/// Builds `target/deploy/medical_records.so` and `target/idl/medical_records.json`.
pub fn build() -> Result<()> {
    let repo = paths::repo_root();
    let sbf_target_dir = paths::cache_dir().join("target-sbf");
    let linker = paths::tools_dir().join("bin").join("sbpf-linker");
    run_step(
        paths::cargo()
            .current_dir(paths::program_dir())
            .arg(format!("+{NIGHTLY}"))
            .args(["build", "--release", "--target"])
            .arg(repo.join("sbf").join("bpfel-solana.json"))
            .args(["-Zbuild-std=std,panic_abort", "-Zjson-target-spec", "--config"])
            .arg(repo.join("sbf").join("sbpf-v3.toml"))
            .arg("--target-dir")
            .arg(&sbf_target_dir)
            // cargo reads this itself: build std from the patched copy
            .env("__CARGO_TESTS_ONLY_SRC_ROOT", paths::patched_std_dir().join("library"))
            // std's build script refuses unknown OSes without it
            .env("RUSTC_BOOTSTRAP_SYNTHETIC_TARGET", "1")
            .env("CARGO_TARGET_BPFEL_SOLANA_LINKER", &linker)
            .env_remove("CARGO_TARGET_DIR"),
        "build the program for SBF",
    )?;

    let deploy = paths::deploy_dir();
    fs::create_dir_all(&deploy)?;
    let built = sbf_target_dir.join("bpfel-solana").join("release").join(format!("lib{PROGRAM}.so"));
    let so = deploy.join(format!("{PROGRAM}.so"));
    fs::copy(&built, &so).with_context(|| format!("copy {}", built.display()))?;
    let keypair = format!("{PROGRAM}-keypair.json");
    fs::copy(paths::program_dir().join("keys").join(&keypair), deploy.join(&keypair))?;
    eprintln!("xtask: wrote {} ({} bytes)", so.display(), fs::metadata(&so)?.len());
    idl()
}

/// The IDL without the anchor CLI: anchor-lang-idl's builder runs the program's
/// `idl-build` test on the host, as `anchor idl build` does.
fn idl() -> Result<()> {
    // anchor-lang-idl 0.2.0 passes a literal "+{toolchain}" to cargo when RUSTUP_TOOLCHAIN
    // is set, as `cargo run` sets it for xtask.
    // Its builds go to the program's host target dir; the host workspace's own target dir
    // is put back afterwards so that later steps do not build there.
    let host_target_dir = std::env::var_os("CARGO_TARGET_DIR");
    // SAFETY: single-threaded here; no other thread reads the environment.
    unsafe {
        std::env::remove_var("RUSTUP_TOOLCHAIN");
        std::env::set_var("CARGO_TARGET_DIR", program_host_target_dir());
    }
    let idl = anchor_lang_idl::build::IdlBuilder::new().program_path(paths::program_dir()).skip_lint(true).build();
    // SAFETY: as above.
    unsafe {
        match host_target_dir {
            Some(dir) => std::env::set_var("CARGO_TARGET_DIR", dir),
            None => std::env::remove_var("CARGO_TARGET_DIR"),
        }
    }
    let mut idl = idl.context("build the IDL")?;
    let inlined = inline_type_aliases(&mut idl)?;
    let dir = paths::idl_dir();
    fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{PROGRAM}.json"));
    fs::write(&path, serde_json::to_string_pretty(&idl)? + "\n")?;
    eprintln!("xtask: wrote {} ({} type aliases inlined: {})", path.display(), inlined.len(), inlined.join(", "));
    Ok(())
}

/// Replaces every reference to a type alias by the type it stands for, and drops the alias
/// definitions; returns the names of the aliases removed.
///
/// anchor-lang 2 declares its `Pod*` integers (`PodU64`, `PodI64`, `PodBool`, …) as
/// `{"kind": "type", "alias": "u64"}` definitions (it lowers a field of such a type to the
/// native type itself, and keeps the definitions for `PodVec`'s references). Codama's
/// Anchor converter (`@codama/nodes-from-anchor`) refuses that form outright, so no client
/// could be generated from the IDL. An alias is the same bytes as its target (a `PodU64`
/// is a `u64`'s eight little-endian bytes; a `PodBool` is one byte, which this program
/// only writes as 0 or 1, what a `bool` is), so inlining keeps every layout exact. Generic
/// aliases are left alone (none exist here): inlining them would need their arguments.
fn inline_type_aliases(idl: &mut Idl) -> Result<Vec<String>> {
    let aliases: BTreeMap<String, IdlType> = idl
        .types
        .iter()
        .filter_map(|def| match &def.ty {
            IdlTypeDefTy::Type { alias } if def.generics.is_empty() => Some((def.name.clone(), alias.clone())),
            _ => None,
        })
        .collect();
    if aliases.is_empty() {
        return Ok(Vec::new());
    }
    // Accounts and events name their type definition: it must stay.
    let named = idl.accounts.iter().map(|a| &a.name).chain(idl.events.iter().map(|e| &e.name));
    if let Some(name) = named.into_iter().find(|name| aliases.contains_key(*name)) {
        bail!("IDL: account or event `{name}` is a type alias; refusing to inline it");
    }
    for instruction in &mut idl.instructions {
        for arg in &mut instruction.args {
            inline_in(&mut arg.ty, &aliases, 0)?;
        }
        if let Some(returns) = &mut instruction.returns {
            inline_in(returns, &aliases, 0)?;
        }
    }
    for constant in &mut idl.constants {
        inline_in(&mut constant.ty, &aliases, 0)?;
    }
    idl.types.retain(|def| !aliases.contains_key(&def.name));
    for def in &mut idl.types {
        match &mut def.ty {
            IdlTypeDefTy::Struct { fields } => inline_in_fields(fields.as_mut(), &aliases)?,
            IdlTypeDefTy::Enum { variants } => {
                for variant in variants {
                    inline_in_fields(variant.fields.as_mut(), &aliases)?;
                }
            }
            IdlTypeDefTy::Type { alias } => inline_in(alias, &aliases, 0)?,
        }
    }
    Ok(aliases.into_keys().collect())
}

fn inline_in_fields(fields: Option<&mut IdlDefinedFields>, aliases: &BTreeMap<String, IdlType>) -> Result<()> {
    match fields {
        Some(IdlDefinedFields::Named(fields)) => fields.iter_mut().try_for_each(|field| inline_in(&mut field.ty, aliases, 0)),
        Some(IdlDefinedFields::Tuple(types)) => types.iter_mut().try_for_each(|ty| inline_in(ty, aliases, 0)),
        None => Ok(()),
    }
}

/// `depth` counts aliases expanded on the way to `ty`: past the number of aliases, they
/// form a cycle.
fn inline_in(ty: &mut IdlType, aliases: &BTreeMap<String, IdlType>, depth: usize) -> Result<()> {
    match ty {
        IdlType::Defined { name, generics } if generics.is_empty() && aliases.contains_key(name.as_str()) => {
            if depth >= aliases.len() {
                bail!("IDL: the type alias `{name}` refers to itself");
            }
            *ty = aliases[name.as_str()].clone();
            inline_in(ty, aliases, depth + 1)
        }
        IdlType::Defined { generics, .. } => generics.iter_mut().try_for_each(|arg| match arg {
            IdlGenericArg::Type { ty } => inline_in(ty, aliases, depth),
            IdlGenericArg::Const { .. } => Ok(()),
        }),
        IdlType::Option(inner) | IdlType::Vec(inner) | IdlType::Array(inner, _) => inline_in(inner, aliases, depth),
        // primitives and generic parameters name no definition
        _ => Ok(()),
    }
}

/// The program crate's own unit tests, natively on the stable toolchain.
pub fn host_unit_tests() -> Result<()> {
    run_step(paths::cargo().current_dir(paths::program_dir()).arg("test").env("CARGO_TARGET_DIR", program_host_target_dir()), "program host unit tests")
}

/// The program's host builds (unit tests, IDL) get their own target dir: its dependency
/// graph is not the host workspace's.
fn program_host_target_dir() -> std::path::PathBuf {
    paths::cache_dir().join("target-program")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn idl(types: Value, args: Value) -> Idl {
        serde_json::from_value(json!({
            "address": "G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ",
            "metadata": { "name": "p", "version": "0.1.0", "spec": "0.1.0" },
            "instructions": [{ "name": "ix", "discriminator": [1], "accounts": [], "args": args }],
            "accounts": [{ "name": "Holder", "discriminator": [2] }],
            "types": types,
        }))
        .expect("a valid IDL")
    }

    fn alias(name: &str, target: Value) -> Value {
        json!({ "name": name, "type": { "kind": "type", "alias": target } })
    }

    fn defined(name: &str) -> Value {
        json!({ "defined": { "name": name } })
    }

    #[test]
    fn pod_aliases_become_their_primitives_everywhere() {
        let holder = json!({ "name": "Holder", "type": { "kind": "struct", "fields": [
            { "name": "count", "type": defined("PodU64") },
            { "name": "flags", "type": { "array": [defined("PodBool"), 4] } },
            { "name": "list", "type": { "vec": { "option": defined("PodI64") } } },
        ] } });
        let generic_user = json!({ "name": "Wrapper", "type": { "kind": "enum", "variants": [
            { "name": "One", "fields": [{ "defined": { "name": "Boxed", "generics": [{ "kind": "type", "type": defined("PodU16") }] } }] },
            { "name": "None" },
        ] } });
        let mut idl = idl(
            json!([
                alias("PodU64", json!("u64")),
                alias("PodBool", json!("bool")),
                alias("PodI64", json!("i64")),
                alias("PodU16", json!("u16")),
                holder,
                generic_user
            ]),
            json!([{ "name": "amount", "type": defined("PodU64") }]),
        );
        let inlined = inline_type_aliases(&mut idl).unwrap();
        assert_eq!(inlined, ["PodBool", "PodI64", "PodU16", "PodU64"]);
        let out = serde_json::to_value(&idl).unwrap();
        assert_eq!(out["instructions"][0]["args"][0]["type"], "u64");
        let names: Vec<&str> = out["types"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Holder", "Wrapper"]);
        let fields = &out["types"][0]["type"]["fields"];
        assert_eq!(fields[0]["type"], "u64");
        assert_eq!(fields[1]["type"], json!({ "array": ["bool", 4] }));
        assert_eq!(fields[2]["type"], json!({ "vec": { "option": "i64" } }));
        assert_eq!(out["types"][1]["type"]["variants"][0]["fields"][0]["defined"]["generics"][0]["type"], "u16");
        assert!(!out.to_string().contains("\"alias\""), "no alias definition is left: {out}");
    }

    #[test]
    fn alias_chains_resolve_and_cycles_are_refused() {
        let mut chained = idl(json!([alias("Outer", defined("Inner")), alias("Inner", json!("u32"))]), json!([{ "name": "a", "type": defined("Outer") }]));
        inline_type_aliases(&mut chained).unwrap();
        assert_eq!(chained.instructions[0].args[0].ty, IdlType::U32);
        assert!(chained.types.is_empty());

        let mut cycle = idl(json!([alias("A", defined("B")), alias("B", defined("A"))]), json!([{ "name": "a", "type": defined("A") }]));
        let error = inline_type_aliases(&mut cycle).unwrap_err().to_string();
        assert!(error.contains("refers to itself"), "{error}");
    }

    #[test]
    fn an_account_type_is_never_dropped() {
        let mut idl = idl(json!([alias("Holder", json!("u64"))]), json!([]));
        let error = inline_type_aliases(&mut idl).unwrap_err().to_string();
        assert!(error.contains("account or event `Holder`"), "{error}");
    }

    #[test]
    fn an_idl_without_aliases_is_unchanged() {
        let struct_def = json!({ "name": "Holder", "type": { "kind": "struct", "fields": [{ "name": "x", "type": "u8" }] } });
        let mut idl = idl(json!([struct_def]), json!([{ "name": "a", "type": "u64" }]));
        let before = idl.clone();
        assert!(inline_type_aliases(&mut idl).unwrap().is_empty());
        assert_eq!(idl, before);
    }
}

"""Tamper evidence: keys, signing a run folder, verification failing — naming the file — on any change."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from test_reports_support import copy_run, invoke

from conformance.errors import VerificationError
from conformance.reports import sign_bundle, verify_bundle
from conformance.reports.signing import PASSPHRASE_ENV


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    code, output = invoke("keys", "generate", "--out", str(folder / "lab"))
    assert code == 0 and "fingerprint" in output
    return folder / "lab.key", folder / "lab.pub"


@pytest.fixture
def signed(tmp_path: Path, keys: tuple[Path, Path]) -> Path:
    folder = copy_run("faulty", tmp_path)
    code, output = invoke("report", "sign", str(folder), "--key", str(keys[0]))
    assert code == 0 and "signed 10 file(s)" in output, output
    return folder


def test_generated_private_key_is_private(keys: tuple[Path, Path]) -> None:
    assert stat.S_IMODE(keys[0].stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in keys[0].read_bytes() and b"BEGIN PUBLIC KEY" in keys[1].read_bytes()
    code, output = invoke("keys", "generate", "--out", str(keys[0].with_suffix("")))
    assert code == 2 and "already exists" in output


def test_manifest_lists_every_artefact(signed: Path) -> None:
    manifest = json.loads((signed / "manifest.json").read_text(encoding="utf-8"))
    names = {entry["path"] for entry in manifest["files"]}
    assert names == {
        "run.json", "journal.ndjson", "evidence.ndjson", "pics.yaml", "profile.yaml", "pixit.yaml",
        "report.json", "report.html", "report.junit.xml", "report.md",
    }  # fmt: skip
    assert manifest["report_id"].startswith("V2XC-") and manifest["algorithm"] == "Ed25519"


def test_untouched_bundle_verifies(signed: Path, keys: tuple[Path, Path]) -> None:
    code, output = invoke("report", "verify", str(signed), "--public-key", str(keys[1]))
    assert code == 0 and "verified: 10 file(s)" in output
    code, output = invoke("report", "verify", str(signed))
    assert code == 0 and "compare this fingerprint" in output


@pytest.mark.parametrize(
    "name",
    ["report.json", "journal.ndjson", "evidence.ndjson", "report.html", "pics.yaml", "profile.yaml", "pixit.yaml"],
)
def test_one_changed_byte_fails_naming_the_file(signed: Path, keys: tuple[Path, Path], name: str) -> None:
    path = signed / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, output = invoke("report", "verify", str(signed), "--public-key", str(keys[1]))
    assert code == 1 and f"{signed / name}" in output and "SHA-256 differs" in output and "Traceback" not in output


def test_added_and_removed_files_fail(signed: Path) -> None:
    (signed / "extra.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(VerificationError, match=r"extra\.txt"):
        verify_bundle(signed)
    (signed / "extra.txt").unlink()
    (signed / "report.md").unlink()
    with pytest.raises(VerificationError, match=r"report\.md: the file is listed in the signed manifest but missing"):
        verify_bundle(signed)


def test_edited_manifest_or_other_key_fails_the_signature(
    signed: Path, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    code, _ = invoke("keys", "generate", "--out", str(tmp_path / "other"))
    assert code == 0
    code, output = invoke("report", "verify", str(signed), "--public-key", str(tmp_path / "other.pub"))
    assert code == 1 and "signature does not match" in output and "manifest.json" in output
    # an attacker who rewrites a file and its digest in the manifest still breaks the signature
    (signed / "report.md").write_text("all good\n", encoding="utf-8")
    manifest = json.loads((signed / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["path"] == "report.md":
            entry["size"] = 9
            entry["sha256"] = "0" * 64
    (signed / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, output = invoke("report", "verify", str(signed), "--public-key", str(keys[1]))
    assert code == 1 and "signature does not match" in output


def test_unsigned_folder_and_bad_keys_are_clear_errors(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    folder = copy_run("clean", tmp_path)
    code, output = invoke("report", "verify", str(folder))
    assert code == 1 and "is not signed: manifest.json is missing" in output
    code, output = invoke("report", "sign", str(folder), "--key", str(keys[1]))
    assert code == 2 and "not a readable PEM private key" in output and "Traceback" not in output
    code, output = invoke("report", "sign", str(folder), "--key", str(tmp_path / "none.key"))
    assert code == 2 and "No private key at" in output
    (tmp_path / "junk.pub").write_text("junk", encoding="utf-8")
    sign_bundle(folder, keys[0])
    code, output = invoke("report", "verify", str(folder), "--public-key", str(tmp_path / "junk.pub"))
    assert code == 2 and "not a readable PEM public key" in output


def test_encrypted_key_needs_its_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse")
    code, output = invoke("keys", "generate", "--out", str(tmp_path / "enc"), "--encrypt")
    assert code == 0, output
    folder = copy_run("clean", tmp_path)
    assert sign_bundle(folder, tmp_path / "enc.key").is_file()
    monkeypatch.delenv(PASSPHRASE_ENV)
    code, output = invoke("report", "sign", str(folder), "--key", str(tmp_path / "enc.key"))
    assert code == 2 and PASSPHRASE_ENV in output
    assert os.environ.get(PASSPHRASE_ENV) is None


def test_sign_refuses_a_symlink_out_of_the_bundle(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    folder = copy_run("faulty", tmp_path)
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("not part of the bundle\n", encoding="utf-8")
    (folder / "extra.txt").symlink_to(secret)
    code, output = invoke("report", "sign", str(folder), "--key", str(keys[0]))
    assert code == 2 and "extra.txt is a symbolic link" in output
    assert not (folder / "manifest.json").exists()  # nothing signed


@pytest.mark.parametrize("entry", ["fifo", "symlink"])
def test_verify_fails_on_an_entry_it_did_not_sign(signed: Path, tmp_path: Path, entry: str) -> None:
    target = signed / f"added-{entry}"
    if entry == "fifo":
        os.mkfifo(target)
    else:
        (tmp_path / "elsewhere.txt").write_text("x\n", encoding="utf-8")
        target.symlink_to(tmp_path / "elsewhere.txt")
    with pytest.raises(VerificationError, match=f"added-{entry}"):
        verify_bundle(signed)

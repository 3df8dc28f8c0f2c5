"""Tamper evidence for a run folder: a manifest of SHA-256 digests of every artefact, signed with Ed25519.

``manifest.json`` lists every regular file of the run folder (report, journal, evidence, PICS, the resolved profile,
the PIXIT copy and run.json, both with sensitive values redacted, the rendered reports — everything except the
manifest, its signature and the writer lock ``.lock``) with its size and
SHA-256, plus the report id and the public key's fingerprint. ``manifest.sig`` holds the Ed25519 signature of the
exact bytes of ``manifest.json`` (base64) and the signer's public key (PEM).

Verification fails — naming the file — when a listed file is missing or any byte differs, when a file was added,
or when the signature does not match the manifest. With ``--public-key`` the signature must come from that key;
without it the key stored in ``manifest.sig`` is used and its fingerprint is printed, to be compared with the
laboratory's published fingerprint (a key in the folder proves integrity, not origin).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import ConfigurationError, SourceLocation, UsageError, VerificationError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
#: Files of a run folder that are not results: the manifest and signature themselves, and the writer lock of
#: `conformance.cli.folderlock` (bookkeeping of whichever process last wrote the folder).
NOT_ARTEFACTS = (MANIFEST, SIGNATURE, ".lock")
MANIFEST_FORMAT = "v2xc-manifest"
#: Environment variable holding the passphrase of an encrypted private key.
PASSPHRASE_ENV = "V2XC_KEY_PASSPHRASE"


@dataclass(frozen=True)
class Verified:
    """A successful verification: how many files, the report id, and the fingerprint of the signing key."""

    files: int
    report_id: str
    fingerprint: str
    key_from_bundle: bool


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex, in groups of four (what a lab publishes)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def generate_keys(prefix: Path, *, passphrase: bytes | None = None, force: bool = False) -> tuple[Path, Path]:
    """Write ``PREFIX.key`` (PKCS#8 PEM, mode 0600, encrypted when a passphrase is given) and ``PREFIX.pub``."""
    private_path, public_path = prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub")
    for path in (private_path, public_path):
        if path.exists() and not force:
            raise UsageError(f"{path} already exists.", hint="Choose another --out prefix, or give --force.")
    try:
        private_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"Cannot write {private_path}: its folder cannot be created ({exc.strerror or exc}).",
            hint="Give --out a prefix in a folder you can write (not under a file).",
        ) from None
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private_path, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key (PEM); the passphrase, if any, comes from ``V2XC_KEY_PASSPHRASE``."""
    if not path.is_file():
        raise ConfigurationError(
            f"No private key at {path}.",
            source=SourceLocation(str(path)),
            hint="Create one with `v2xc keys generate --out NAME` and give NAME.key.",
        )
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        key = serialization.load_pem_private_key(
            path.read_bytes(), password=passphrase.encode() if passphrase else None
        )
    except TypeError:
        raise ConfigurationError(
            f"The private key {path} is encrypted and no passphrase was given (or one was given for a plain key).",
            source=SourceLocation(str(path)),
            hint=f"Set {PASSPHRASE_ENV} to the key's passphrase, or unset it for an unencrypted key.",
        ) from None
    except ValueError as exc:
        raise ConfigurationError(
            f"{path} is not a readable PEM private key ({exc}).",
            source=SourceLocation(str(path)),
            hint=f"Give the .key file written by `v2xc keys generate`; check {PASSPHRASE_ENV} if it is encrypted.",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(
            f"{path} holds a {type(key).__name__.removeprefix('_')} key, not an Ed25519 key.",
            source=SourceLocation(str(path)),
            hint="Reports are signed with Ed25519 keys from `v2xc keys generate`.",
        )
    return key


def _public_key(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ConfigurationError(
            f"{where} is not a readable PEM public key ({exc}).",
            source=SourceLocation(where),
            hint="Give the .pub file written by `v2xc keys generate`.",
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError(
            f"{where} holds a {type(key).__name__.removeprefix('_')} key, not an Ed25519 key.",
            source=SourceLocation(where),
            hint="Give the .pub file written by `v2xc keys generate`.",
        )
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key (PEM)."""
    if not path.is_file():
        raise ConfigurationError(
            f"No public key at {path}.", source=SourceLocation(str(path)), hint="Give the .pub file of the signer."
        )
    return _public_key(path.read_bytes(), str(path))


def _artefacts(run_dir: Path, *, verifying: bool = False) -> list[Path]:
    """The regular files of a bundle. A symbolic link, FIFO, socket or device anywhere in it is refused: signing
    would follow a link out of the bundle (or block on a FIFO), and a verified bundle must hold only what was
    signed — so ``sign`` stops with a usage error and ``verify`` fails, naming the entry."""
    if not run_dir.is_dir() or run_dir.is_symlink():
        raise ConfigurationError(
            f"{run_dir} is not a folder.", hint="Give the run folder written by `v2xc run` (it holds report.json)."
        )
    files = []
    for path in sorted(run_dir.rglob("*")):
        name = path.relative_to(run_dir).as_posix()
        mode = path.lstat().st_mode
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file (a FIFO, socket or device)"
            if verifying:
                raise _fail(
                    run_dir, name, f"it is {kind}: a signed bundle holds only regular files.", "Remove it."
                )
            raise ConfigurationError(
                f"{run_dir / name} is {kind}; a bundle to sign may hold only regular files.",
                hint="Replace a link by the file itself, or remove the entry, then sign again.",
            )
        if name not in NOT_ARTEFACTS:
            files.append(path)
    return files


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def sign_bundle(run_dir: Path, key_path: Path) -> Path:
    """Write ``manifest.json`` and ``manifest.sig`` into ``run_dir``; return the manifest's path."""
    key = load_private_key(key_path)
    files = _artefacts(run_dir)
    if not (run_dir / "report.json").is_file():
        raise ConfigurationError(
            f"{run_dir} holds no report.json, so it is not a finished run folder.",
            hint="Sign the folder after `v2xc run` (or `v2xc report render DIR`) has written the reports.",
        )
    report_id = json.loads((run_dir / "report.json").read_text(encoding="utf-8")).get("report_id", "")
    public = key.public_key()
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "format_version": 1,
        "report_id": report_id,
        "signed": datetime.now(UTC).isoformat(timespec="seconds"),
        "algorithm": "Ed25519",
        "hash": "SHA-256",
        "key_fingerprint": fingerprint(public),
        "files": [
            {"path": p.relative_to(run_dir).as_posix(), "size": p.stat().st_size, "sha256": _digest(p)} for p in files
        ],
    }
    data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    (run_dir / MANIFEST).write_bytes(data)
    signature = {
        "algorithm": "Ed25519",
        "signature": base64.b64encode(key.sign(data)).decode("ascii"),
        "public_key": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii"),
        "key_fingerprint": fingerprint(public),
    }
    (run_dir / SIGNATURE).write_text(json.dumps(signature, indent=2) + "\n", encoding="utf-8")
    return run_dir / MANIFEST


def _fail(run_dir: Path, name: str, message: str, hint: str) -> VerificationError:
    return VerificationError(f"Verification FAILED for {run_dir / name}: {message}", hint=hint)


def verify_bundle(run_dir: Path, public_key_path: Path | None = None) -> Verified:
    """Check the signature and every digest; raise :class:`VerificationError` naming the first bad file."""
    manifest_path, signature_path = run_dir / MANIFEST, run_dir / SIGNATURE
    for path in (manifest_path, signature_path):
        if not path.is_file():
            raise VerificationError(
                f"{run_dir} is not signed: {path.name} is missing.",
                hint="Sign it with `v2xc report sign DIR --key KEY` (a missing manifest may also mean tampering).",
            )
    data = manifest_path.read_bytes()
    try:
        signature = json.loads(signature_path.read_text(encoding="utf-8"))
        raw_signature = base64.b64decode(signature["signature"], validate=True)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise _fail(run_dir, SIGNATURE, "the signature file is damaged.", "Re-sign the untouched bundle.") from None
    if public_key_path is not None:
        public = load_public_key(public_key_path)
    else:
        public = _public_key(str(signature.get("public_key", "")).encode("ascii", "replace"), str(signature_path))
    try:
        public.verify(raw_signature, data)
    except InvalidSignature:
        raise _fail(
            run_dir,
            MANIFEST,
            "the signature does not match the manifest"
            + (f" for the key {public_key_path}" if public_key_path else "")
            + " (the manifest was changed, or it was signed with another key).",
            "Do not trust this bundle; ask the laboratory for the original.",
        ) from None
    try:
        manifest = json.loads(data)
        listed = {entry["path"]: entry for entry in manifest["files"]}
    except (ValueError, KeyError, TypeError):
        raise _fail(run_dir, MANIFEST, "the manifest is not a v2xc manifest.", "Re-sign the bundle.") from None
    present = {p.relative_to(run_dir).as_posix(): p for p in _artefacts(run_dir, verifying=True)}
    for name, entry in listed.items():
        found = present.get(name)
        if found is None:
            raise _fail(run_dir, name, "the file is listed in the signed manifest but missing.", "Restore it.")
        size = found.stat().st_size
        if size != entry["size"] or _digest(found) != entry["sha256"]:
            sizes = f"; signed size {entry['size']} bytes, now {size}" if size != entry["size"] else ""
            raise _fail(
                run_dir,
                name,
                f"its SHA-256 differs from the signed manifest (the file was changed after signing{sizes}).",
                "Do not trust this file; ask the laboratory for the original.",
            )
    added = sorted(set(present) - set(listed))
    if added:
        raise _fail(
            run_dir,
            added[0],
            f"the file was added after signing ({len(added)} unlisted file(s): {', '.join(added[:5])}).",
            "Remove files that are not part of the signed bundle, or re-sign it.",
        )
    return Verified(len(listed), str(manifest.get("report_id", "")), fingerprint(public), public_key_path is None)

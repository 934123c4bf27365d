"""Commit signature verification with real SSH (and, where gpg exists, GPG) signatures."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.source.verify import SignaturePolicy, signature_method, verify_commit
from tests.daemon.conftest import Harness, Repo
from tests.daemon.test_triggers import cpu_edit, local_clusters

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")


def ssh_key(directory: Path, name: str) -> Path:
    key = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(allowed key, unknown key, allowed_signers file listing only the allowed key)."""
    keys = tmp_path / "keys"
    keys.mkdir()
    allowed, unknown = ssh_key(keys, "release-bot"), ssh_key(keys, "stranger")
    signers = keys / "allowed_signers"
    signers.write_text(f'release@example.com namespaces="git" {(keys / "release-bot.pub").read_text()}')
    return allowed, unknown, signers


def test_ssh_signatures_are_checked_against_the_allowed_signers(repo: Repo, keys: tuple[Path, Path, Path]) -> None:
    allowed, unknown, signers = keys
    policy = SignaturePolicy(allowed_signers=signers)
    good = repo.commit("signed by the release bot", sign=allowed)
    stranger = repo.commit("signed by a stranger", sign=unknown)
    unsigned = repo.commit("not signed", sign=False)

    verdict = verify_commit(repo.path, good, policy)
    assert verdict.ok and verdict.method == "ssh"
    assert verdict.signer.startswith("release@example.com (ED25519 key SHA256:")
    refused = verify_commit(repo.path, stranger, policy)
    assert not refused.ok and refused.method == "ssh" and f"not verified against {signers}" in refused.message
    assert verify_commit(repo.path, unsigned, policy).message == (
        f"commit {unsigned[:12]} is not signed; refusing it (signature verification is on)")
    keyring_only = verify_commit(repo.path, good, SignaturePolicy(gnupg_home=repo.path))
    assert not keyring_only.ok and "no allowed signers file is configured" in keyring_only.message
    assert not verify_commit(repo.path, "0" * 40, policy).ok
    assert not verify_commit(repo.path, "--help", policy).ok


def test_a_signed_tag_on_an_unsigned_commit_is_not_enough(repo: Repo, keys: tuple[Path, Path, Path]) -> None:
    allowed, _unknown, signers = keys
    unsigned = repo.commit("not signed", sign=False)
    repo.git("-c", "gpg.format=ssh", "-c", f"user.signingkey={allowed}", "tag", "-s", "-m", "release", "v1.0")
    assert repo.git("-c", f"gpg.ssh.allowedSignersFile={signers}", "verify-tag", "v1.0") == ""  # the tag is good

    verdict = verify_commit(repo.path, unsigned, SignaturePolicy(allowed_signers=signers))

    assert not verdict.ok and "is not signed" in verdict.message


def test_the_daemon_refuses_unverified_heads_and_keeps_the_last_verified_one(
    repo: Repo, keys: tuple[Path, Path, Path], tmp_path: Path, make_daemon: Callable[..., Harness]
) -> None:
    allowed, unknown, signers = keys
    good = repo.commit("analytics: 3 CPUs", cpu_edit("3"), sign=allowed)
    h = make_daemon(repo, local_clusters(tmp_path), environments=("dev",), allowed_signers=signers)
    assert h.step().loaded == good
    assert h.daemon.status()["source"]["signer"].startswith("release@example.com")

    for commit, sign in (("unsigned", False), ("stranger", unknown)):
        head = repo.commit(f"analytics: {commit}", cpu_edit("5"), sign=sign)
        h.daemon.trigger.fire("test")
        report = h.step()
        assert (report.rejected, report.loaded, report.submitted) == (head, None, [])
        doc = h.daemon.status()
        assert doc["revision"] == good and doc["source"]["rejectedStage"] == "signature"
        assert h.daemon.target("dev", "local").applied == good
    assert "SSH signature not verified" in h.daemon.status()["source"]["errors"][0]

    fixed = repo.commit("analytics: 4 CPUs, signed", cpu_edit("4"), sign=allowed)
    h.daemon.trigger.fire("test")
    assert h.step().loaded == fixed and h.daemon.target("dev", "local").applied == fixed


@pytest.fixture
def gpg_homes(tmp_path: Path) -> Iterator[tuple[Path, Path, str]]:
    """(signer's GNUPGHOME, verifier keyring holding the signer's public key, key fingerprint)."""
    if shutil.which("gpg") is None or shutil.which("gpgconf") is None:
        pytest.skip("gpg is not installed")
    signer, keyring = tmp_path / "gpg-signer", tmp_path / "gpg-allowed"
    for home in (signer, keyring):
        home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(signer)}
    subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", "Release <release@example.com>",
                    "ed25519", "sign", "never"], check=True, env=env, capture_output=True)
    listing = subprocess.run(["gpg", "--batch", "--with-colons", "--list-keys"], check=True, env=env,
                             capture_output=True, text=True).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    public = subprocess.run(["gpg", "--batch", "--export", fingerprint], check=True, env=env,
                            capture_output=True).stdout
    subprocess.run(["gpg", "--batch", "--quiet", "--import"], input=public, check=True, capture_output=True,
                   env={**os.environ, "GNUPGHOME": str(keyring)})
    yield signer, keyring, fingerprint
    for home in (signer, keyring):
        subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(home)}, check=False)


def test_gpg_signatures_are_checked_against_the_keyring(repo: Repo, gpg_homes: tuple[Path, Path, str],
                                                        tmp_path: Path) -> None:
    signer, keyring, fingerprint = gpg_homes
    repo.git("-c", "gpg.format=openpgp", "-c", f"user.signingkey={fingerprint}", "commit", "-q", "--allow-empty",
             "-S", "-m", "gpg-signed", env={**os.environ, "GNUPGHOME": str(signer)})
    head = repo.head()
    assert signature_method(repo.git("cat-file", "commit", head) + "\n") == "gpg"

    verdict = verify_commit(repo.path, head, SignaturePolicy(gnupg_home=keyring))
    empty = tmp_path / "gpg-empty"
    empty.mkdir(mode=0o700)
    refused = verify_commit(repo.path, head, SignaturePolicy(gnupg_home=empty))

    assert verdict.ok and verdict.signer == f"Release <release@example.com> ({fingerprint})"
    assert not refused.ok and refused.method == "gpg"
    subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(empty)}, check=False)

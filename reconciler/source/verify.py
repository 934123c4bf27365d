"""Commit signature verification: only commits signed by an allowed key may be applied.

``git verify-commit`` does the cryptography; this module chooses the trust anchors and reads
the verdict. SSH signatures are checked against an ``allowed_signers`` file
(``gpg.ssh.allowedSignersFile``, with ``gpg.minTrustLevel=fully`` so a valid signature by an
unlisted key is refused even on Git versions that accept it); GPG signatures against a
dedicated keyring directory (``GNUPGHOME``): a key in that keyring is an allowed key. The
commit itself must carry the signature: a signed tag pointing at an unsigned commit is not
enough, because tags are never consulted. The user's and the system's Git configuration are
ignored, so nothing outside the policy can widen it.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_SSH_GOOD = re.compile(r'^Good "git" signature for (?P<who>.+?) with (?P<key>.+)$', re.MULTILINE)
_GPG_GOOD = re.compile(r"^\[GNUPG:\] GOODSIG (?P<keyid>\S+) (?P<who>.*)$", re.MULTILINE)
_GPG_VALID = re.compile(r"^\[GNUPG:\] VALIDSIG (?P<fpr>\S+)", re.MULTILINE)
_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SignaturePolicy:
    """Which keys may sign the commits we apply; with neither set, verification is off."""

    allowed_signers: Path | None = None
    """An SSH ``allowed_signers`` file (``email namespaces="git" ssh-ed25519 AAAA...``)."""
    gnupg_home: Path | None = None
    """A GPG home directory whose keyring holds exactly the allowed public keys."""

    @property
    def enabled(self) -> bool:
        """Whether any trust anchor is configured (then unsigned commits are refused)."""
        return self.allowed_signers is not None or self.gnupg_home is not None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of checking one commit."""

    commit: str
    ok: bool
    method: str
    """``ssh``, ``gpg``, ``x509`` or ``none`` (unsigned)."""
    signer: str
    message: str


class UnverifiedCommit(Exception):
    """A commit whose signature is missing, bad or by a key that is not allowed."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


def verify_commit(repo_dir: Path, commit: str, policy: SignaturePolicy, *, git: str = "git") -> Verdict:
    """Check the signature of ``commit`` (a full SHA) in the repository at ``repo_dir``."""
    short = commit[:12]
    if not _SHA.match(commit):
        return Verdict(commit, False, "none", "", f"'{commit}' is not a full commit SHA")
    raw = _run(git, repo_dir, ["cat-file", "commit", commit], _env(None))
    if raw.returncode != 0:
        return Verdict(commit, False, "none", "", f"cannot read commit {short}: {_last_line(raw.stderr)}")
    method = signature_method(raw.stdout)
    if method == "none":
        return Verdict(commit, False, method, "", f"commit {short} is not signed; refusing it "
                                                   "(signature verification is on)")
    if method == "ssh":
        if policy.allowed_signers is None:
            return Verdict(commit, False, method, "", f"commit {short} has an SSH signature but no "
                                                       "allowed signers file is configured")
        options = ["-c", f"gpg.ssh.allowedSignersFile={policy.allowed_signers.resolve()}",
                   "-c", "gpg.minTrustLevel=fully"]
        env = _env(None)
    elif method == "gpg":
        if policy.gnupg_home is None:
            return Verdict(commit, False, method, "", f"commit {short} has a GPG signature but no "
                                                       "GPG keyring is configured")
        # The dedicated keyring is the allow list: any key in it is allowed, whatever its ownertrust.
        options = ["-c", "gpg.minTrustLevel=undefined"]
        env = _env(policy.gnupg_home)
    else:
        return Verdict(commit, False, method, "", f"commit {short} has an {method} signature, "
                                                   "which is not supported")
    done = _run(git, repo_dir, [*options, "verify-commit", "--raw", commit], env)
    output = (done.stderr + done.stdout).strip()
    signer = _signer(method, output)
    if done.returncode != 0 or not signer:
        reason = _last_line(output) or f"git verify-commit exited {done.returncode}"
        anchor = policy.allowed_signers if method == "ssh" else policy.gnupg_home
        return Verdict(commit, False, method, signer,
                       f"commit {short}: {method.upper()} signature not verified against {anchor}: {reason}")
    return Verdict(commit, True, method, signer, f"commit {short}: good {method.upper()} signature by {signer}")


def require_verified(repo_dir: Path, commit: str, policy: SignaturePolicy, *, git: str = "git") -> Verdict:
    """The verdict of a good signature; raises UnverifiedCommit otherwise (no-op verdict when off)."""
    if not policy.enabled:
        return Verdict(commit, True, "none", "", "signature verification is off")
    verdict = verify_commit(repo_dir, commit, policy, git=git)
    if not verdict.ok:
        raise UnverifiedCommit(verdict)
    return verdict


def signature_method(raw_commit: str) -> str:
    """``ssh``, ``gpg``, ``x509`` or ``none``, from the ``gpgsig`` header of a raw commit object."""
    header, _sep, _body = raw_commit.partition("\n\n")
    signature = ""
    for line in header.splitlines():
        if line.startswith(("gpgsig ", "gpgsig-sha256 ")):
            signature = line.split(" ", 1)[1]
            break
    if not signature:
        return "none"
    if "BEGIN SSH SIGNATURE" in signature:
        return "ssh"
    if "BEGIN PGP SIGNATURE" in signature:
        return "gpg"
    return "x509"


def _signer(method: str, output: str) -> str:
    if method == "ssh":
        found = _SSH_GOOD.search(output)
        return f"{found['who']} ({found['key']})" if found else ""
    good, valid = _GPG_GOOD.search(output), _GPG_VALID.search(output)
    if good is None:
        return ""
    return f"{good['who']} ({valid['fpr'] if valid else good['keyid']})"


def _env(gnupg_home: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C", LANG="C")
    if gnupg_home is not None:
        env["GNUPGHOME"] = str(gnupg_home.resolve())
    return env


def _run(git: str, repo_dir: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([git, "-C", str(repo_dir), *args], capture_output=True, text=True,
                              env=env, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(args, 1, "", f"{type(exc).__name__}: {exc}")


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("[GNUPG:]")]
    return lines[-1].strip() if lines else ""

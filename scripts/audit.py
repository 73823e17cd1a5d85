"""`make audit`: known vulnerabilities in the locked Python packages (pip-audit on uv.lock) and in
the npm packages (npm audit on package-lock.json).

Exit status 1 only when an audit ran and found a vulnerability (npm: severity high or critical;
lower ones are listed). When an advisory service cannot be reached or does not answer – no
network, a registry mirror without the audit endpoint – the audit says so plainly and counts as
"not checked", never as a failure: CI must not fail for network reasons, and must not pretend to
have checked either.

pip-audit runs in a throw-away environment (`uv tool run`), pinned below, so it is not part of
the project's lock file.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIP_AUDIT = "pip-audit==2.10.1"
TIMEOUT = int(os.environ.get("AUDIT_TIMEOUT", "300"))
NETWORK_MARKERS = (
    "ConnectionError", "NameResolutionError", "Max retries exceeded", "Temporary failure in name resolution",
    "timed out", "Timeout", "ENOTFOUND", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN",
    "audit endpoint returned an error", "Failed to fetch", "error sending request", "dns error",
    "Could not connect", "Network is unreachable", "SSLError", "ProxyError",
)


def uv_command() -> list[str]:
    configured = os.environ.get("UV", "").strip()
    return shlex.split(configured) if configured else [sys.executable, "-m", "uv"]


def looks_like_network(text: str) -> bool:
    return any(marker in text for marker in NETWORK_MARKERS)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True,  # noqa: S603 (fixed commands)
                              timeout=TIMEOUT, **kwargs)
    except subprocess.TimeoutExpired:
        return None


# --- Python --------------------------------------------------------------------------------------------
def audit_python() -> tuple[str, str]:
    """("ok" | "vulnerable" | "not checked", message)."""
    with tempfile.TemporaryDirectory() as scratch:
        requirements, report = Path(scratch) / "requirements.txt", Path(scratch) / "report.json"
        exported = run([*uv_command(), "export", "--frozen", "--format", "requirements-txt", "--all-groups",
                        "--no-emit-workspace", "--output-file", str(requirements)])
        if exported is None or exported.returncode != 0:
            raise SystemExit(f"audit: uv export failed: {exported.stderr if exported else 'timeout'}")
        done = run([*uv_command(), "tool", "run", "--from", PIP_AUDIT, "pip-audit", "-r", str(requirements),
                    "--disable-pip", "--require-hashes", "--progress-spinner", "off", "--format", "json",
                    "--output", str(report)])
        if done is None:
            return "not checked", f"pip-audit did not finish within {TIMEOUT} s (advisory service slow?)"
        if not report.exists() or not report.read_text().strip():
            if looks_like_network(done.stderr):
                return "not checked", "the advisory service (or PyPI, to fetch pip-audit) is unreachable"
            raise SystemExit(f"audit: pip-audit failed:\n{done.stderr[-2000:]}")
        return judge_python(json.loads(report.read_text()))


def judge_python(report: dict) -> tuple[str, str]:
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if not d.get("skip_reason")]
    found = [(d["name"], d["version"], v.get("id", "?"), ", ".join(v.get("fix_versions") or []) or "–")
             for d in audited for v in d.get("vulns", [])]
    if found:
        lines = "\n".join(f"  {name} {version}: {vid} (fixed in {fix})" for name, version, vid, fix in found)
        return "vulnerable", f"{len(found)} known vulnerabilities:\n{lines}"
    if dependencies and not audited:
        return "not checked", (f"the advisory service answered for none of the {len(dependencies)} packages "
                               "(no vulnerability data reachable)")
    skipped = len(dependencies) - len(audited)
    extra = f"; {skipped} packages without an answer" if skipped else ""
    return "ok", f"{len(audited)} packages, no known vulnerabilities{extra}"


# --- npm -------------------------------------------------------------------------------------------------
def audit_npm() -> tuple[str, str]:
    done = run(["npm", "audit", "--json"])
    if done is None:
        return "not checked", f"npm audit did not finish within {TIMEOUT} s"
    try:
        report = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    return judge_npm(report, done.stderr)


def judge_npm(report: dict, stderr: str = "") -> tuple[str, str]:
    counts = (report.get("metadata") or {}).get("vulnerabilities")
    if not isinstance(counts, dict):
        reason = report.get("message") or stderr.strip().splitlines()[-1:] or ["no answer"]
        reason = reason if isinstance(reason, str) else reason[0]
        if report.get("error") or report.get("statusCode") or looks_like_network(stderr) or not report:
            return "not checked", f"the npm advisory service is unavailable ({reason})"
        raise SystemExit(f"audit: unexpected answer of npm audit: {reason}")
    serious = counts.get("high", 0) + counts.get("critical", 0)
    summary = ", ".join(f"{counts.get(level, 0)} {level}"
                        for level in ("critical", "high", "moderate", "low"))
    if serious:
        names = sorted(name for name, item in (report.get("vulnerabilities") or {}).items()
                       if item.get("severity") in {"high", "critical"})
        return "vulnerable", f"{summary}: {', '.join(names)}"
    return "ok", f"no high or critical vulnerabilities ({summary})"


def main() -> int:
    results = {"Python (uv.lock)": audit_python(), "npm (package-lock.json)": audit_npm()}
    for name, (state, message) in results.items():
        print(f"audit {name}: {state.upper()} – {message}")
    if any(state == "not checked" for state, _ in results.values()):
        print("audit: some packages were NOT checked (advisory service unreachable); this is not a failure.")
    return 1 if any(state == "vulnerable" for state, _ in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

// Registers the proof-of-work worker for the ALTCHA widget. We use the CSP-safe "external" build,
// which brings no workers of its own; the worker file is served from our static files.
const script = document.getElementById("altcha-setup");
const workerUrl = script ? script.dataset.worker : null;
if (workerUrl && globalThis.$altcha) {
  for (const algorithm of ["PBKDF2/SHA-256", "PBKDF2/SHA-384", "PBKDF2/SHA-512"]) {
    globalThis.$altcha.algorithms.set(algorithm, () => new Worker(workerUrl));
  }
}

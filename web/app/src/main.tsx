// The entry point: read the deployment's ./config.json, load the data layer (the wasm and
// the cluster), then render the app. A deployment that is misconfigured says so in words.

import { render } from 'preact';
import { type AppConfig, MedShare } from './chain/medshare';
import { App } from './ui/App';
import { describeError } from './ui/format';

/** The fields config.json must have, as strings. */
const REQUIRED = ['rpcUrl', 'programId', 'cluster'] as const;
/** The fields it may have, as strings. */
const OPTIONAL = ['keyDomain', 'blobUploadUrl', 'chain'] as const;

/** Reads and checks ./config.json; a missing or malformed field is named. */
async function loadConfig(): Promise<AppConfig> {
  const response = await fetch('./config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`./config.json: HTTP ${response.status}: the deployment must write config.json next to index.html (see config.example.json)`);
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch (error) {
    throw new Error(`./config.json is not JSON: ${describeError(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('./config.json must be a JSON object');
  const fields = parsed as Record<string, unknown>;
  for (const name of REQUIRED) {
    if (typeof fields[name] !== 'string' || fields[name] === '') throw new Error(`./config.json: "${name}" must be a non-empty string`);
  }
  for (const name of OPTIONAL) {
    if (fields[name] !== undefined && typeof fields[name] !== 'string') throw new Error(`./config.json: "${name}" must be a string when present`);
  }
  const config: AppConfig = { rpcUrl: fields.rpcUrl as string, programId: fields.programId as string, cluster: fields.cluster as string };
  for (const name of OPTIONAL) {
    if (typeof fields[name] === 'string' && fields[name] !== '') config[name] = fields[name] as string;
  }
  return config;
}

function Booting() {
  return (
    <main class="boot">
      <h1>MedShare</h1>
      <p role="status">Loading…</p>
    </main>
  );
}

function Failed({ problem }: { problem: string }) {
  return (
    <main class="boot">
      <h1>MedShare</h1>
      <div role="alert" class="alert">
        <span>The app could not start. {problem}</span>
      </div>
    </main>
  );
}

async function start(root: HTMLElement) {
  try {
    const medshare = await MedShare.load(await loadConfig());
    render(<App medshare={medshare} />, root);
  } catch (error) {
    render(<Failed problem={describeError(error)} />, root);
  }
}

const root = document.getElementById('app');
if (root) {
  // the static "Loading…" placeholder of index.html is replaced by the first render
  root.replaceChildren();
  render(<Booting />, root);
  void start(root);
}

// The MedShare web app end to end in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core over the DevTools protocol), as a patient and a doctor each in their own
// browser context with their own test wallet (src/test-wallet.js, a Wallet Standard wallet
// over a keypair). Run by tests/tests/web_e2e.rs:
//
//   node web/e2e/run.mjs <input.json>
//
// input.json: { url, rpcUrl, patient: { secretKey, address }, doctor: { secretKey, address },
//               unregistered: <address>, fixture: <path of a FHIR bundle>,
//               fixtureResources: [resourceType...], screenshots: <dir> }
//
// The story follows issue #14: both connect, unlock and register their keys; the patient
// stores the bundle, is told by name why an invalid and an unregistered recipient are refused
// (and nothing is signed or sent), shares with the doctor for 1 day and watches the partials
// come in; the doctor opens the record, sees its FHIR view and downloads the same bytes; the
// patient shares again and revokes while it waits; the doctor cannot open that one; the audit
// view shows the history with block times and names the cheating node. Every view is checked
// with axe-core and photographed at desktop (1280×800) and phone (390×844) widths.
//
// The test drives the cluster through a line protocol: this script prints
// `@@control {"ask": ...}` on stdout and reads one JSON line answer on stdin (start or stop a
// node, the address of a record). The last stdout line is `@@result {...}`: what was seen, for
// the Rust test to check against the chain and the CLI. Progress goes to stderr.

import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const WALLET_SCRIPT = new URL('./src/test-wallet.js', import.meta.url).pathname;

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
];
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const BASE58_ADDRESS = /[1-9A-HJ-NP-Za-km-z]{32,44}/;
const THRESHOLD = 3;

// How long a step may wait for the app: a transaction confirms in about a second on the
// local validator; the nodes answer a share within seconds.
const UI_TIMEOUT_MS = 30_000;
const NODES_TIMEOUT_MS = 90_000;

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const fixture = readFileSync(input.fixture);
mkdirSync(input.screenshots, { recursive: true });

const result = { ok: false, steps: [], captures: [], axe: [], screenshots: [], requestOrigins: {}, partialsSeen: [] };
const started = Date.now();

function log(line) {
    process.stderr.write(`[web-e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
}

// --- the line protocol with the Rust test
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function control(ask) {
    process.stdout.write(`@@control ${JSON.stringify(ask)}\n`);
    const { value, done } = await stdinLines.next();
    if (done) throw new Error(`the test closed stdin instead of answering ${JSON.stringify(ask)}`);
    const answer = JSON.parse(value);
    if (answer.error) throw new Error(`the test could not ${JSON.stringify(ask)}: ${answer.error}`);
    return answer;
}

// --- waiting and reading
async function poll(what, check, timeoutMs = UI_TIMEOUT_MS, intervalMs = 250) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        try {
            const value = await check();
            if (value) return value;
        } catch (error) {
            last = error;
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${last.message}` : ''}`);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}

async function visible(locator, what, timeoutMs = UI_TIMEOUT_MS) {
    try {
        await locator.first().waitFor({ state: 'visible', timeout: timeoutMs });
    } catch (error) {
        throw new Error(`${what} did not appear within ${timeoutMs / 1000}s (${error.message.split('\n')[0]})`);
    }
    return locator.first();
}

/** Waits until the alert says `needle`, returns its text; the app's error names come first. */
async function alertSaying(page, needle) {
    return poll(`an alert saying "${needle}"`, async () => {
        const texts = await page.getByRole('alert').allInnerTexts();
        return texts.find((text) => text.includes(needle));
    });
}

/** Waits for a status (or, failing that, any text of the page) matching `pattern` that `accept`s. */
async function statusMatching(page, pattern, accept = () => true, timeoutMs = UI_TIMEOUT_MS) {
    return poll(`a status matching ${pattern}`, async () => {
        for (const text of [...(await page.getByRole('status').allInnerTexts()), await page.locator('body').innerText()]) {
            const match = text.match(pattern);
            if (match && accept(match)) return match;
        }
        return null;
    }, timeoutMs);
}

async function walletLog(page) {
    return page.evaluate(() => window.__medshareTestWalletLog || []);
}
const count = (log, feature) => log.filter((entry) => entry.feature === feature).length;

// --- accessibility and screenshots
async function axe(page, view, size) {
    // evaluated through the DevTools protocol, once per document (the views are sections of one
    // page): a <script> tag would be refused by the app's Content-Security-Policy, which the
    // test keeps in force
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
    const report = await page.evaluate(async () => {
        const run = await window.axe.run(document);
        return run.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
    });
    result.axe.push({ view, width: size.width, violations: report });
    if (report.length) log(`axe: ${view} at ${size.width}px: ${report.map((v) => v.id).join(', ')}`);
}

/** The view at desktop and phone widths: axe-core, then a full-page screenshot of each. */
async function capture(page, view) {
    await step(`axe-core and screenshots: ${view}`, () => captureWidths(page, view));
}

async function captureWidths(page, view) {
    const t0 = Date.now();
    for (const [label, size] of [['desktop', DESKTOP], ['phone', PHONE]]) {
        await page.setViewportSize(size);
        await page.waitForTimeout(150); // the layout settles (media queries, reflowed tables)
        await axe(page, view, size);
        const file = path.join(input.screenshots, `${view}-${label}.png`);
        await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });
        result.screenshots.push(file);
    }
    await page.setViewportSize(DESKTOP);
    result.captures.push({ view, ms: Date.now() - t0 });
}

// --- the steps
let pages = {};
async function step(name, body) {
    const t0 = Date.now();
    log(`step: ${name}`);
    try {
        const value = await body();
        result.steps.push({ name, ms: Date.now() - t0 });
        return value;
    } catch (error) {
        result.failedStep = name;
        for (const [who, page] of Object.entries(pages)) {
            const file = path.join(input.screenshots, `failure-${who}.png`);
            await page.screenshot({ path: file, fullPage: true }).catch(() => {});
            result.screenshots.push(file);
            result[`failureText_${who}`] = await page.locator('body').innerText().catch(() => '');
        }
        throw error;
    }
}

/** A browser context with its own wallet; every request's origin and RPC method counted. */
async function openAs(browser, who, wallet) {
    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true, reducedMotion: 'reduce' });
    await context.addInitScript(`window.__medshareTestWallet = ${JSON.stringify({ secretKey: wallet.secretKey })};`);
    await context.addInitScript({ path: WALLET_SCRIPT });
    const page = await context.newPage();
    const origins = (result.requestOrigins[who] = {});
    const rpc = { sendTransaction: 0, methods: {} };
    page.rpc = rpc;
    page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.protocol === 'data:' || url.protocol === 'blob:') return;
        origins[url.origin] = (origins[url.origin] || 0) + 1;
        if (request.method() === 'POST' && request.url().startsWith(input.rpcUrl)) {
            try {
                const body = JSON.parse(request.postData() || 'null');
                for (const call of Array.isArray(body) ? body : [body]) {
                    rpc.methods[call.method] = (rpc.methods[call.method] || 0) + 1;
                    if (call.method === 'sendTransaction') rpc.sendTransaction += 1;
                }
            } catch {
                // not JSON-RPC: counted by origin only
            }
        }
    });
    page.on('pageerror', (error) => log(`${who}: page error: ${error.message}`));
    page.on('response', (response) => {
        if (response.status() >= 400) log(`${who}: ${response.status()} for ${response.request().method()} ${response.url()}`);
    });
    page.on('console', (message) => {
        if (message.type() === 'error') log(`${who}: console error: ${message.text()}`);
    });
    // the app may confirm destructive steps with a native dialog: the user says yes
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(input.url);
    return { context, page };
}

async function section(page, name) {
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await nav.getByRole('link', { name, exact: true }).or(nav.getByRole('button', { name, exact: true })).first().click();
}

async function connect(page, address) {
    await (await visible(page.getByRole('button', { name: 'Connect wallet', exact: true }), 'the "Connect wallet" button')).click();
    const dialog = await visible(page.getByRole('dialog', { name: 'Choose a wallet' }), 'the "Choose a wallet" dialog');
    return { dialog, choose: async () => {
        await dialog.getByRole('button', { name: 'MedShare Test Wallet' }).click();
        await poll(`"Connected wallet" to show ${address}`, async () => (await page.getByLabel('Connected wallet').innerText()).trim() === address);
    } };
}

async function unlockAndRegister(page) {
    await section(page, 'Home');
    const key = await visible(page.getByRole('region', { name: 'Encryption key' }), 'the "Encryption key" region');
    const before = count(await walletLog(page), 'solana:signMessage');
    await key.getByRole('button', { name: 'Unlock encryption key' }).click();
    await visible(key.getByText('Not registered', { exact: true }), '"Not registered"');
    const signed = count(await walletLog(page), 'solana:signMessage') - before;
    if (signed !== 2) throw new Error(`unlocking asked the wallet for ${signed} message signatures, not 2`);
    await key.getByRole('button', { name: 'Register encryption key' }).click();
    await visible(key.getByText('Registered', { exact: true }), '"Registered"');
    return { messageSignatures: signed };
}

function recordRow(page, recordId) {
    const table = page.getByRole('table', { name: 'My records' });
    return table.getByRole('row').filter({ has: page.getByRole('cell', { name: String(recordId), exact: true }) }).first();
}

/** The access list's rows as text: recipient, status word, partials, whether it has Revoke. */
async function accessRows(page, recordId) {
    const table = page.getByRole('table', { name: `Access list for record ${recordId}` });
    await visible(table, `the table "Access list for record ${recordId}"`);
    const rows = await table.locator('tbody tr').all();
    const out = [];
    for (const row of rows) {
        const cells = await row.getByRole('cell').allInnerTexts();
        out.push({ cells: cells.map((c) => c.trim()), revocable: (await row.getByRole('button', { name: 'Revoke' }).count()) > 0, row });
    }
    return out;
}

async function shareWith(page, recordId, recipient, expiry) {
    const row = recordRow(page, recordId);
    const form = page.getByRole('region', { name: `Share record ${recordId}` });
    if (!(await form.isVisible())) await row.getByRole('button', { name: 'Share', exact: true }).click();
    await visible(form, `the "Share record ${recordId}" region`);
    await form.getByLabel('Recipient address').fill(recipient);
    if (expiry) await form.getByLabel('Expires in').selectOption({ label: expiry });
    await form.getByRole('button', { name: 'Share', exact: true }).click();
    return form;
}

async function main() {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    result.browser = browser.version();
    try {
        await story(browser);
        result.ok = true;
    } finally {
        await browser.close();
    }
}

async function story(browser) {
    await step('open the app as the patient and as the doctor', async () => {
        const patient = await openAs(browser, 'patient', input.patient);
        const doctor = await openAs(browser, 'doctor', input.doctor);
        pages = { patient: patient.page, doctor: doctor.page };
    });
    const P = pages.patient;
    const D = pages.doctor;

    await step('keyboard: Tab reaches "Connect wallet"', async () => {
        await visible(P.getByRole('button', { name: 'Connect wallet', exact: true }), 'the "Connect wallet" button');
        for (let tabs = 1; tabs <= 25; tabs++) {
            await P.keyboard.press('Tab');
            const focused = await P.evaluate(() => {
                const element = document.activeElement;
                return element ? (element.getAttribute('aria-label') || element.textContent || '').trim() : '';
            });
            if (focused === 'Connect wallet') {
                result.tabsToConnect = tabs;
                return;
            }
        }
        throw new Error('25 presses of Tab never focused "Connect wallet"');
    });
    await capture(P, 'welcome');

    await step('both connect their wallets', async () => {
        const chooser = await connect(P, input.patient.address);
        await capture(P, 'connect');
        await chooser.choose();
        await (await connect(D, input.doctor.address)).choose();
    });

    await step('both unlock and register their encryption keys', async () => {
        result.unlock = { patient: await unlockAndRegister(P), doctor: await unlockAndRegister(D) };
        const mine = D.getByRole('region').filter({ has: D.getByRole('button', { name: 'Show my address' }) });
        await mine.getByRole('button', { name: 'Show my address' }).click();
        await visible(D.getByRole('img', { name: 'QR code of my address' }), 'the image "QR code of my address"');
        await visible(D.getByText(input.doctor.address, { exact: true }).last(), "the doctor's address as text");
    });
    await capture(P, 'home');
    await capture(D, 'my-address');

    const stored = await step('the patient stores the FHIR bundle', async () => {
        await section(P, 'My records');
        const store = await visible(P.getByRole('region', { name: 'Store a record' }), 'the "Store a record" region');
        await store.getByLabel('FHIR file').setInputFiles(input.fixture);
        const sentBefore = P.rpc.sendTransaction;
        await store.getByRole('button', { name: 'Seal and store' }).click();
        // the progress bar shows while sealing; on a fast machine it may come and go between two looks
        result.sawSealingProgress = await P.getByRole('progressbar', { name: 'Sealing progress' })
            .waitFor({ state: 'visible', timeout: 5_000 })
            .then(() => true, () => false);
        const [, recordId, version] = await statusMatching(P, /Stored record (\d+), version (\d+)/);
        await visible(recordRow(P, recordId), `record ${recordId} in the "My records" table`);
        return { recordId: Number(recordId), version: Number(version), transactions: P.rpc.sendTransaction - sentBefore };
    });
    result.record = stored;
    await capture(P, 'my-records');

    await step('an invalid recipient address is refused by name, nothing signed or sent', async () => {
        const signedBefore = count(await walletLog(P), 'solana:signTransaction');
        const sentBefore = P.rpc.sendTransaction;
        await shareWith(P, stored.recordId, 'not-a-solana-address', null);
        result.notAnAddress = await alertSaying(P, 'NotAnAddress');
        if (!result.notAnAddress.trimStart().startsWith('NotAnAddress')) throw new Error(`the alert does not start with the error's name: ${result.notAnAddress}`);
        if (count(await walletLog(P), 'solana:signTransaction') !== signedBefore || P.rpc.sendTransaction !== sentBefore) {
            throw new Error('a transaction was signed or sent for an invalid address');
        }
    });

    await step('an unregistered recipient is refused by name, nothing signed or sent', async () => {
        const signedBefore = count(await walletLog(P), 'solana:signTransaction');
        const sentBefore = P.rpc.sendTransaction;
        await shareWith(P, stored.recordId, input.unregistered, '1 day');
        result.recipientNotRegistered = await alertSaying(P, 'RecipientNotRegistered');
        const expected = 'RecipientNotRegistered: the recipient has not registered an encryption key';
        if (!result.recipientNotRegistered.includes(expected)) throw new Error(`expected "${expected}", the alert says: ${result.recipientNotRegistered}`);
        if (count(await walletLog(P), 'solana:signTransaction') !== signedBefore || P.rpc.sendTransaction !== sentBefore) {
            throw new Error('a transaction was signed or sent for an unregistered recipient');
        }
    });
    await capture(P, 'share-refused');

    result.shared = await step('the patient shares the record with the doctor for 1 day', async () => {
        const signedBefore = count(await walletLog(P), 'solana:signTransaction');
        const requestedAt = Math.floor(Date.now() / 1000);
        await shareWith(P, stored.recordId, input.doctor.address, '1 day');
        const [, request] = await statusMatching(P, new RegExp(`Share requested:?\\s+(${BASE58_ADDRESS.source})`));
        return { request, requestedAt, signed: count(await walletLog(P), 'solana:signTransaction') - signedBefore };
    });

    await step(`the access list shows the partials: Waiting at 2 of ${THRESHOLD} (nodes 3 and 4 are down, node 5 cheats)`, async () => {
        await recordRow(P, stored.recordId).getByRole('button', { name: 'Access list' }).click();
        await poll(`"Waiting" with "2 of ${THRESHOLD}"`, async () => {
            const rows = await accessRows(P, stored.recordId);
            const row = rows.find((r) => r.cells.some((c) => c.includes(input.doctor.address)));
            if (!row) return false;
            const partials = row.cells.find((c) => / of \d+$/.test(c));
            if (partials && result.partialsSeen.at(-1) !== partials) result.partialsSeen.push(partials);
            return row.cells.includes('Waiting') && partials === `2 of ${THRESHOLD}`;
        }, NODES_TIMEOUT_MS);
    });
    await capture(P, 'access-list-waiting');

    await step('node 3 comes back: the access list turns Ready', async () => {
        // node 5's bad partial must be judged before node 3 completes the share, or the audit
        // would have no cheater to name
        await control({ ask: 'wait-fault', index: 5 });
        await control({ ask: 'start-node', index: 3 });
        await poll('"Ready" with 3 of 3', async () => {
            const rows = await accessRows(P, stored.recordId);
            const row = rows.find((r) => r.cells.some((c) => c.includes(input.doctor.address)));
            const partials = row?.cells.find((c) => / of \d+$/.test(c));
            if (partials && result.partialsSeen.at(-1) !== partials) result.partialsSeen.push(partials);
            return row && row.cells.includes('Ready') && partials === `${THRESHOLD} of ${THRESHOLD}` && row.revocable;
        }, NODES_TIMEOUT_MS);
    });
    await capture(P, 'access-list');

    await step('the doctor opens it under Shared with me and downloads the same bytes', async () => {
        await section(D, 'Shared with me');
        const table = await visible(D.getByRole('table', { name: 'Shared with me' }), 'the "Shared with me" table', NODES_TIMEOUT_MS);
        const row = table.locator('tbody tr').filter({ hasText: 'Ready' }).first();
        await visible(row, 'a Ready row under Shared with me');
        const cells = (await row.getByRole('cell').allInnerTexts()).map((c) => c.trim());
        if (!cells.some((c) => c.includes(input.patient.address))) throw new Error(`the row does not name the owner ${input.patient.address}: ${cells}`);
        await capture(D, 'shared-with-me');
        await row.getByRole('button', { name: 'Open' }).click();
        const opened = await visible(D.getByRole('region', { name: new RegExp(`^Record ${stored.recordId} from `) }), `the region "Record ${stored.recordId} from <owner>"`, NODES_TIMEOUT_MS);
        result.openedRegion = await opened.getAttribute('aria-labelledby').then(async (id) => (id ? D.locator(`[id="${id}"]`).innerText() : ''));
        const headings = (await opened.getByRole('heading').allInnerTexts()).map((h) => h.trim());
        result.fhirHeadings = headings;
        for (const resourceType of input.fixtureResources) {
            if (!headings.some((h) => h.includes(resourceType))) throw new Error(`no heading for ${resourceType} in the FHIR view: ${JSON.stringify(headings)}`);
        }
        const [download] = await Promise.all([D.waitForEvent('download'), opened.getByRole('button', { name: 'Download' }).click()]);
        const bytes = readFileSync(await download.path());
        result.download = { name: download.suggestedFilename(), base64: bytes.toString('base64') };
        const expectedName = `record-${stored.recordId}-v${stored.version}.json`;
        if (download.suggestedFilename() !== expectedName) throw new Error(`downloaded ${download.suggestedFilename()}, not ${expectedName}`);
        if (!bytes.equals(fixture)) throw new Error(`the downloaded ${bytes.length} bytes differ from the ${fixture.length}-byte fixture`);
    });
    await capture(D, 'record');

    result.revoked = await step('the patient shares again and revokes while it waits', async () => {
        await control({ ask: 'stop-node', index: 3 });
        await section(P, 'My records');
        await shareWith(P, stored.recordId, input.doctor.address, '7 days');
        const [, request] = await statusMatching(P, new RegExp(`Share requested:?\\s+(${BASE58_ADDRESS.source})`), ([, address]) => address !== result.shared.request);
        await recordRow(P, stored.recordId).getByRole('button', { name: 'Access list' }).click();
        const waiting = await poll(`the second request "Waiting" at 2 of ${THRESHOLD}`, async () => {
            const rows = await accessRows(P, stored.recordId);
            return rows.find((r) => r.cells.includes('Waiting') && r.cells.includes(`2 of ${THRESHOLD}`) && r.revocable);
        }, NODES_TIMEOUT_MS);
        const sentBefore = P.rpc.sendTransaction;
        await waiting.row.getByRole('button', { name: 'Revoke' }).click();
        await poll('the second request "Revoked"', async () => {
            const rows = await accessRows(P, stored.recordId);
            return rows.some((r) => r.cells.includes('Revoked') && r.cells.includes(`2 of ${THRESHOLD}`) && !r.revocable);
        });
        await control({ ask: 'start-node', index: 3 });
        return { request, transactions: P.rpc.sendTransaction - sentBefore };
    });
    await capture(P, 'access-list-revoked');

    await step('the doctor sees it Revoked and cannot open it', async () => {
        await section(D, 'Home');
        await section(D, 'Shared with me');
        const table = await visible(D.getByRole('table', { name: 'Shared with me' }), 'the "Shared with me" table');
        const row = await poll('a Revoked row under Shared with me', async () => {
            const candidate = table.locator('tbody tr').filter({ hasText: 'Revoked' }).first();
            return (await candidate.count()) > 0 ? candidate : null;
        });
        const open = row.getByRole('button', { name: 'Open' });
        if ((await open.count()) > 0 && (await open.isEnabled())) throw new Error('"Open" is enabled on a revoked share');
    });

    await step('the audit view shows the history with block times and names node 5', async () => {
        const { address } = await control({ ask: 'record-address', owner: input.patient.address, recordId: stored.recordId });
        result.recordAddress = address;
        await section(P, 'Audit');
        await P.getByRole('textbox', { name: 'Address', exact: true }).fill(address);
        // the kind of address, where the view asks for it (a record's history is the default)
        const kind = P.getByLabel('Address of', { exact: true });
        if ((await kind.count()) > 0) await kind.selectOption({ label: 'a record' });
        await P.getByRole('button', { name: 'Load history' }).click();
        const history = P.getByRole('list', { name: 'History' });
        const wanted = ['ShareRequested', 'PartialAccepted', 'PartialRejected', 'ShareCompleted', 'ShareRevoked'];
        result.audit = await poll(`the history to list ${wanted.join(', ')}`, async () => {
            const items = [];
            for (const item of await history.getByRole('listitem').all()) {
                const times = await item.locator('time').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('datetime')));
                items.push({ text: (await item.innerText()).trim(), datetime: times[0] ?? null });
            }
            return wanted.every((event) => items.some((i) => i.text.includes(event))) ? items : null;
        }, NODES_TIMEOUT_MS, 1000);
        for (const item of result.audit) {
            if (!item.datetime || Number.isNaN(Date.parse(item.datetime))) throw new Error(`an item has no block time: ${item.text}`);
        }
        const cheater = result.audit.find((i) => i.text.includes('PartialRejected'));
        if (!cheater.text.includes('cheater: node 5')) throw new Error(`the rejected partial does not name node 5: ${cheater.text}`);
    });
    await capture(P, 'audit');
}

try {
    await main();
} catch (error) {
    result.error = error.stack || String(error);
    log(`FAILED: ${error.message}`);
} finally {
    result.seconds = (Date.now() - started) / 1000;
    for (const [who, page] of Object.entries(pages)) result[`rpc_${who}`] = page.rpc;
    writeFileSync(path.join(input.screenshots, 'result.json'), JSON.stringify(result, null, 2));
    process.stdout.write(`@@result ${JSON.stringify(result)}\n`);
    process.exit(result.ok ? 0 : 1);
}

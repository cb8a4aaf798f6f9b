// Shared by the browser tests of aicq report: the built binary, the browser, and reading a rendered page.
// Environment (set by tests/CMakeLists.txt): AICQ_BINARY, AICQ_EXAMPLES, AICQ_BROWSER_ARTIFACTS,
// NODE_PATH (for playwright-core); AICQ_CHROMIUM overrides /usr/bin/chromium.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);  // CommonJS resolution honours NODE_PATH
const { chromium } = require('playwright-core');

export const binary = process.env.AICQ_BINARY || 'build/release/aicq';
export const examples = process.env.AICQ_EXAMPLES || 'examples';
export const artifacts = process.env.AICQ_BROWSER_ARTIFACTS || path.join(os.tmpdir(), 'aicq-browser-artifacts');
fs.mkdirSync(artifacts, {recursive: true});

export const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aicq-browser-'));

/** Runs the aicq binary; throws with its stderr unless it exits 0. */
export function aicq(...args) {
  const r = spawnSync(binary, args, {encoding: 'utf8', env: {...process.env, LANG: 'C.UTF-8'}});
  if (r.status !== 0) throw new Error(`aicq ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Assesses a declaration into work/<name>.json and returns the path and the parsed result. */
export function assess(declaration, name) {
  const out = path.join(work, `${name}.json`);
  aicq('assess', declaration, '-o', out);
  return {file: out, result: JSON.parse(fs.readFileSync(out, 'utf8'))};
}

/** Renders results into work/<name>.html. */
export function report(files, name, lang) {
  const out = path.join(work, `${name}.html`);
  aicq('report', ...files, '--lang', lang, '-o', out);
  return out;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.AICQ_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Opens a report via file://, records console errors, page errors, dialogs and any request that is not
 * file:, and waits until every chart has rendered (ECharts' "finished" event sets data-rendered).
 */
export async function open(browser, file) {
  const page = await browser.newPage({viewport: {width: 1280, height: 900}});
  const problems = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  await page.goto('file://' + file);
  await page.waitForFunction(() => [...document.querySelectorAll('.chart')].every((c) => c.getAttribute('data-rendered') === 'true'),
                             null, {timeout: 15000});
  return {page, problems, requests};
}

/** Non-white, non-transparent pixels of the canvas inside the element #id. */
export async function inkedPixels(page, id) {
  return page.evaluate((elementId) => {
    const canvas = document.querySelector(`#${elementId} canvas`);
    const ctx = canvas.getContext('2d');
    const {data} = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) n++;
    return n;
  }, id);
}

/** The radar's series values as ECharts holds them. */
export async function radarValues(page) {
  return page.evaluate(() => echarts.getInstanceByDom(document.getElementById('radar')).getOption().series[0].data.map((d) => d.value));
}

export async function screenshot(page, name) {
  await page.screenshot({path: path.join(artifacts, `${name}.png`), fullPage: true});
  await page.locator('header.top').screenshot({path: path.join(artifacts, `${name}-header.png`)});
  await page.locator('#dimensions').screenshot({path: path.join(artifacts, `${name}-radar.png`)});
}

export const dimensionIds = ['ce', 'ie', 'co2', 'acc', 'sus'];

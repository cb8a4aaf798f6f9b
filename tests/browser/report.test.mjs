// Browser tests of aicq report: each example in en and zh, a comparison, and a result with missing
// indicators, opened from file:// in headless Chromium. Screenshots go to AICQ_BROWSER_ARTIFACTS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './helpers.mjs';

const exampleNames = ['ai-training-center', 'cpu-datacenter', 'edge-inference'];
const results = {};
let browser;

before(async () => {
  browser = await h.launch();
  for (const e of exampleNames) results[e] = h.assess(path.join(h.examples, `${e}.yaml`), e);
});

after(async () => {
  if (browser) await browser.close();
  fs.rmSync(h.work, {recursive: true, force: true});
});

async function checkCommon(page, problems, requests) {
  assert.deepEqual(problems, [], 'no console errors, page errors or dialogs');
  assert.deepEqual(requests, [], 'nothing requested beyond the file itself');
  const ink = await h.inkedPixels(page, 'radar');
  assert.ok(ink > 2000, `the radar canvas is drawn (${ink} inked pixels)`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal overflow at 1280 px (${overflow} px)`);
}

for (const name of exampleNames) {
  for (const lang of ['en', 'zh']) {
    test(`report of ${name} (${lang})`, async () => {
      const {result} = results[name];
      const file = h.report([results[name].file], `${name}-${lang}`, lang);
      const {page, problems, requests} = await h.open(browser, file);
      try {
        await checkCommon(page, problems, requests);
        assert.deepEqual(await h.radarValues(page), [h.dimensionIds.map((d) => result.dimensions[d].score)],
                         'the radar shows the dimension scores of the result');
        assert.equal(await page.evaluate(() => document.documentElement.lang), lang === 'zh' ? 'zh-CN' : 'en');
        assert.equal(await page.locator('#system-name').textContent(), result.system.name);
        assert.equal(await page.locator('.scorebox .grade').getAttribute('data-grade'), result.overall.grade);
        assert.equal(await page.locator('#overall-score').textContent(), result.overall.score.toFixed(1));
        assert.equal(await page.locator('tr.ind').count(), 12);
        for (const [id, x] of Object.entries(result.indicators)) {
          const row = page.locator(`tr.ind[data-indicator="${id}"]`);
          assert.equal(await row.getAttribute('data-status'), x.status, id);
          if (x.status === 'scored') assert.equal(Number(await row.locator('td.score').getAttribute('data-score')), x.score, id);
        }
        const carbon = await h.inkedPixels(page, 'carbon-chart');
        assert.ok(carbon > 500, `the carbon chart is drawn (${carbon} inked pixels)`);
        // Expanding an indicator shows its intermediate values.
        const details = page.locator('tr.more details').first();
        await details.locator('summary').click();
        assert.ok(await details.locator('table.kv').first().isVisible());
        const heading = await page.locator('#dimensions h2').textContent();
        assert.equal(heading, lang === 'zh' ? '五维评估' : 'Five dimensions');
        await h.screenshot(page, `${name}-${lang}`);
      } finally {
        await page.close();
      }
    });
  }
}

test('comparison of the three examples', async () => {
  const file = h.report(exampleNames.map((e) => results[e].file), 'comparison-en', 'en');
  const {page, problems, requests} = await h.open(browser, file);
  try {
    await checkCommon(page, problems, requests);
    assert.deepEqual(await h.radarValues(page), exampleNames.map((e) => h.dimensionIds.map((d) => results[e].result.dimensions[d].score)),
                     'one radar series per system, in the order given');
    const ranks = await page.locator('#ranking-table tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.rank)));
    assert.deepEqual(ranks.slice().sort(), [1, 2, 3]);
    const closeness = await page.locator('#ranking-table tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.closeness)));
    for (let i = 1; i < closeness.length; i++) assert.ok(closeness[i - 1] >= closeness[i], 'ranked by closeness');
    assert.equal(await page.locator('#across-table tr[data-indicator]').count(), 12);
    assert.ok(await page.locator('#across-table td.best').count() >= 12, 'the best score of every row is marked');
    await h.screenshot(page, 'comparison-en');
  } finally {
    await page.close();
  }
});

test('missing indicators are shown as missing with their reason, never as 0', async () => {
  const decl = path.join(h.work, 'minimal.yaml');
  fs.writeFileSync(decl, 'schema_version: 1\nsystem:\n  name: "Minimal <b>site</b>"\naccess:\n  reach: internal\n  scenarios: [smart_city]\n  modes: [open_api]\n');
  const {file: resultFile, result} = h.assess(decl, 'minimal');
  const file = h.report([resultFile], 'minimal-en', 'en');
  const {page, problems, requests} = await h.open(browser, file);
  try {
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, []);
    assert.equal(await page.locator('#system-name').textContent(), 'Minimal <b>site</b>', 'the name is text, not markup');
    const missing = Object.entries(result.indicators).filter(([, x]) => x.status === 'missing');
    assert.equal(missing.length, 11);
    for (const [id, x] of missing) {
      const row = page.locator(`tr.ind[data-indicator="${id}"]`);
      assert.equal(await row.getAttribute('data-status'), 'missing', id);
      assert.equal((await row.locator('td.reason').textContent()).trim(), `missing${x.reason}`, id);
      assert.equal((await row.locator('td.score').textContent()).trim(), '—', `${id} has no score, not 0`);
    }
    const values = (await h.radarValues(page))[0];
    h.dimensionIds.forEach((d, i) => {
      if ('score' in result.dimensions[d]) assert.equal(values[i], result.dimensions[d].score, d);
      else assert.equal(typeof values[i], 'string', `${d} is empty on the radar, not 0`);
    });
    // The one dimension present is drawn as a point; no point sits at the centre for the missing ones.
    const points = await page.evaluate(() => {
      const o = echarts.getInstanceByDom(document.getElementById('radar')).getOption();
      return o.graphic[0].elements.filter((e) => e.type === 'circle').length;
    });
    assert.equal(points, 1);
    assert.ok(await h.inkedPixels(page, 'radar') > 2000);
    assert.equal(await page.locator('.scorebox .chip').getAttribute('data-grade-status'), 'provisional');
    await h.screenshot(page, 'minimal-en');
  } finally {
    await page.close();
  }
});

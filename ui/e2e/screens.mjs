// Every screen of the UI in the real Chromium, at a phone's and a tablet's
// viewport (and the tablet at 200 % zoom), with the app's Rust side
// replaced by a mock of Tauri's IPC. Each screen is driven by clicks and
// typing as a person would, saved as a screenshot under test-output/, must
// not scroll sideways, and must pass axe-core with no serious or critical
// violation. Run by `cargo xtask test` after the UI is built.

import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { MONTH, NOW, fixtures } from './fixtures.js';

const ui = fileURLToPath(new URL('..', import.meta.url));
const dist = join(ui, 'dist');
const out = join(ui, 'test-output');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
mkdirSync(out, { recursive: true });

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 1024, height: 1366 },
  // The tablet at 200 % zoom: half the CSS pixels, twice the scale.
  { name: 'tablet-200', width: 512, height: 683, deviceScaleFactor: 2 },
];

/** Installed in the page before the app loads: Tauri's IPC, answered from `answers`. */
function mockTauri(answers) {
  let nextCallback = 1;
  window.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
    transformCallback: () => nextCallback++,
    unregisterCallback: () => {},
    invoke: async (cmd) => {
      if (cmd.startsWith('plugin:event|')) return nextCallback++;
      const answer = answers[cmd];
      if (answer === undefined) throw { kind: 'store', message: `mock: no answer for ${cmd}` };
      if (answer && answer.__error) throw answer.__error;
      return structuredClone(answer);
    },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };
}

function serve() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dist, path);
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const failures = [];
const check = (cond, message) => {
  if (!cond) failures.push(message);
};

async function screen(page, label) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(out, `${label}.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `${label}: scrolls sideways by ${overflow}px`);
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }),
  );
  for (const v of result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
    failures.push(`${label}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
  }
  console.log(`  ${label}: ${result.violations.length} minor or moderate axe findings, screenshot saved`);
}

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

try {
  for (const vp of VIEWPORTS) {
    console.log(`${vp.name} ${vp.width}x${vp.height}`);
    const open = async (enrolled, overrides = {}) => {
      const context = await browser.newContext({
        viewport: { width: vp.width, height: vp.height },
        deviceScaleFactor: vp.deviceScaleFactor ?? 1,
        locale: 'zh-TW',
        timezoneId: 'Asia/Taipei',
      });
      await context.addInitScript(mockTauri, { ...fixtures(enrolled), ...overrides });
      const page = await context.newPage();
      page.on('pageerror', (e) => failures.push(`${vp.name}: page error ${e.message}`));
      await page.goto(base);
      return { page, context };
    };

    // Not enrolled: the enrollment screen, and a refused code explained.
    {
      const { page, context } = await open(false);
      await page.getByLabel('註冊文字').waitFor();
      await screen(page, `${vp.name}-enroll`);
      await page.getByLabel('註冊文字').fill('custos-enroll:{"recorder":"https://192.168.1.10:7443","fingerprint":"' + 'ab'.repeat(32) + '","code":"ABCD-EFGH-JKMN"}');
      await page.getByRole('button', { name: '註冊', exact: true }).click();
      await page.getByRole('alert').waitFor();
      check((await page.getByRole('alert').innerText()).includes('已過期'), `${vp.name}: an expired code is explained`);
      await screen(page, `${vp.name}-enroll-expired`);
      await context.close();
    }

    // Enrolled: home, the check, repairs, settings, and English.
    {
      const { page, context } = await open(true);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      check((await page.locator('.syncbar').innerText()).includes('離線'), `${vp.name}: offline is always visible`);
      check((await page.locator('.syncbar').innerText()).includes('2 筆尚未送到錄影主機'), `${vp.name}: waiting changes are counted`);
      await screen(page, `${vp.name}-home`);
      await page.getByRole('button', { name: /被錄影主機退回/ }).click();
      check((await page.locator('.reasons').innerText()).includes('檢查人本人'), `${vp.name}: a refusal shows its reason`);
      await screen(page, `${vp.name}-refused`);

      await page.getByRole('navigation').getByRole('button', { name: /巡檢/ }).click();
      await page.getByRole('group', { name: /大門/ }).waitFor();
      const back = page.getByRole('group', { name: /後門/ });
      check(!(await back.getByLabel('運轉正常').isChecked()), `${vp.name}: a camera the recorder sees down is pre-marked`);
      const submit = page.getByRole('button', { name: '送出檢查紀錄' });
      check(await submit.isDisabled(), `${vp.name}: a fault without 處理情形 cannot be sent`);
      await page.getByRole('group', { name: /大門/ }).getByRole('button', { name: '即時畫面' }).click();
      await page.getByRole('img', { name: /即時畫面: 大門/ }).waitFor();
      await screen(page, `${vp.name}-check`);
      await page.getByRole('textbox', { name: /處理情形/ }).fill('已通知廠商到場檢修');
      check(await submit.isEnabled(), `${vp.name}: with 處理情形 the check can be sent`);
      await submit.click();
      await page.getByRole('status').waitFor();
      check((await page.getByRole('status').innerText()).includes('已開立報修'), `${vp.name}: the repair opened is confirmed`);
      await screen(page, `${vp.name}-check-saved`);

      await page.getByRole('navigation').getByRole('button', { name: /報修/ }).click();
      await page.getByRole('heading', { name: /遊戲室/ }).waitFor();
      await screen(page, `${vp.name}-repairs`);

      // The month's log laid out like the paper form, and as it prints.
      await page.getByRole('navigation').getByRole('button', { name: /紀錄/ }).click();
      await page.getByRole('table').first().waitFor();
      const table = await page.getByRole('table').first().innerText();
      check(table.includes('黃巡檢') && /民國\d+年/.test(table), `${vp.name}: the log names the inspector with an ROC date`);
      const alarms = await page.getByRole('table', { name: /系統警示/ }).innerText();
      check(alarms.includes('後門') && alarms.includes('持續中'), `${vp.name}: the recorder's alarm is in the log, ongoing`);
      check((await page.getByRole('button', { name: '核章' }).count()) === 0, `${vp.name}: an inspector is offered no 核章`);
      await screen(page, `${vp.name}-log-001`);
      await page.getByLabel('表單格式').selectOption('004');
      check((await page.getByRole('table').first().innerText()).includes('均無異常'), `${vp.name}: the 萬華 form's boxes`);
      await screen(page, `${vp.name}-log-004`);
      await page.emulateMedia({ media: 'print' });
      check(!(await page.getByRole('navigation').isVisible()), `${vp.name}: printing hides the navigation`);
      await page.screenshot({ path: join(out, `${vp.name}-log-print.png`), fullPage: true });
      await page.emulateMedia({ media: 'screen' });

      await page.getByRole('navigation').getByRole('button', { name: /設定/ }).click();
      await page.getByLabel('語言').selectOption('en');
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      await screen(page, `${vp.name}-settings-en`);
      await page.getByRole('navigation').getByRole('button', { name: /Home/ }).click();
      await page.getByRole('heading', { name: /Hello/ }).waitFor();
      await screen(page, `${vp.name}-home-en`);
      await context.close();
    }

    // Who countersigns, and on which form, is the profile's (Rust says it):
    // a head told so is offered 核章, on the 004 form by default.
    {
      const base = fixtures(true);
      const headSite = { site: { ...base.site, may_countersign: true, paper_form: 'wanhua004' } };
      const { page, context } = await open(true, headSite);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      await page.getByRole('navigation').getByRole('button', { name: /紀錄/ }).click();
      await page.getByRole('table').first().waitFor();
      check((await page.getByLabel('表單格式').inputValue()) === '004', `${vp.name}: the profile's form is the default`);
      check((await page.getByRole('button', { name: '核章' }).count()) === 1, `${vp.name}: 核章 offered to whom the profile names`);
      await context.close();
    }

    // The disk cannot hold the floor: home says so while the recorder
    // answers, whether the recorder's answer or the log's open alarm says it.
    {
      const base = fixtures(true);
      const floorAlarm = {
        kind: 'retention_floor_at_risk',
        camera: null,
        raised_at: NOW - 600_000,
        ended_at: null,
        detail: '磁碟僅能保存 9.5 日錄影，低於規定之 14 日 / the disk holds 9.5 days of footage, below the 14-day floor',
      };
      const fromHealth = { camera_health: { ...base.camera_health, disk: { ...base.camera_health.disk, days_disk_can_hold: 9.5, floor_at_risk: true } } };
      const fromLog = { inspection_month: { ...base.inspection_month, alarms: { ...base.inspection_month.alarms, '01JCUSTOSALARM00000000002': floorAlarm } } };
      for (const [label, overrides] of [['health', fromHealth], ['log', fromLog]]) {
        const { page, context } = await open(true, overrides);
        await page.getByRole('heading', { name: /您好/ }).waitFor();
        const alarms = page.getByRole('region', { name: '警示' });
        await alarms.getByText(/後門/).waitFor();
        check((await alarms.innerText()).includes('硬碟空間不足以保存規定的天數'), `${vp.name}: the floor alarm on home while the recorder answers (from the ${label})`);
        if (label === 'log') await screen(page, `${vp.name}-home-floor-alarm`);
        await context.close();
      }
    }

    // The recorder cannot be asked: home shows the alarms it last wrote
    // into the inspection log, still open.
    {
      const unreachable = { camera_health: { __error: { kind: 'offline', message: 'the recorder cannot be reached' } } };
      const { page, context } = await open(true, unreachable);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      const alarms = page.getByRole('region', { name: '警示' });
      await alarms.getByText(/後門/).waitFor();
      check((await alarms.innerText()).includes('攝影機未在錄影：後門（一樓後門），自'), `${vp.name}: the log's open alarm on home, offline`);
      await screen(page, `${vp.name}-home-offline-alarm`);
      await context.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}

if (failures.length > 0) {
  console.error(`\n${failures.length} problem(s):\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`\nevery screen passed; screenshots in ${out}`);

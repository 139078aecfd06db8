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
import { CASE_ID, MONTH, NOW, PEOPLE, applicationFixtures, fixtures } from './fixtures.js';

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
  window.__calls = [];
  window.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
    transformCallback: () => nextCallback++,
    unregisterCallback: () => {},
    invoke: async (cmd, args) => {
      if (cmd.startsWith('plugin:event|')) return nextCallback++;
      // Every call, for the test to assert what the screen sent.
      window.__calls.push({ cmd, args: args instanceof Uint8Array ? '<bytes>' : structuredClone(args) });
      let answer = answers[cmd];
      // An answer that depends on one argument: `values` by its value, else `otherwise`.
      if (answer && answer.__byArg) answer = answer.values[args?.[answer.__byArg]] ?? answer.otherwise;
      if (answer === undefined) throw { kind: 'store', message: `mock: no answer for ${cmd}`, field: null };
      if (answer && answer.__error) throw answer.__error;
      return structuredClone(answer);
    },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };
}

/** The frames the viewing screen asked, as the app's `custosframe` scheme would answer them. */
const frameRequests = [];
const frameJpeg = readFileSync(join(ui, 'e2e', 'frame.jpg'));

function serve() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
  const server = createServer((req, res) => {
    if (req.url.startsWith('/frames/')) {
      const url = new URL(req.url, 'http://x');
      const [session, camera, t] = url.pathname.slice('/frames/'.length).split('/');
      frameRequests.push({ session, camera, t: Number(t), mode: url.searchParams.get('mode'), strip: t === 'strip' });
      const keyframe = url.searchParams.get('mode') === 'keyframe';
      res.writeHead(200, {
        'content-type': 'image/jpeg',
        'cache-control': 'no-store',
        'x-frame-time': String(Math.floor(Number(t) / 100) * 100),
        'x-frame-kind': keyframe ? 'keyframe' : 'frame',
      });
      res.end(frameJpeg);
      return;
    }
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
      // A screen that never shows what is waited for fails in seconds, not minutes.
      page.setDefaultTimeout(10_000);
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
      const form004 = await page.getByRole('table').first().innerText();
      check(form004.includes('☑均無異常'), `${vp.name}: the 萬華 form's boxes`);
      check(form004.includes('☑存取異常'), `${vp.name}: a host-only fault ticks a box on 004 附件1`);
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
      check((await page.getByRole('button', { name: '核章' }).count()) === 2, `${vp.name}: 核章 offered to whom the profile names, once per check without it`);
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
      // 遊戲室 records, but was cut off for flooding a minute ago.
      const cameras = base.camera_health.cameras.map((c) => (c.id === 'cam-02' ? { ...c, link_problem: { kind: 'too_many_bytes', at_ms: NOW - 60_000 } } : c));
      const fromHealth = { camera_health: { ...base.camera_health, cameras, disk: { ...base.camera_health.disk, days_disk_can_hold: 9.5, floor_at_risk: true } } };
      const fromLog = { inspection_month: { ...base.inspection_month, alarms: { ...base.inspection_month.alarms, '01JCUSTOSALARM00000000002': floorAlarm } } };
      for (const [label, overrides] of [['health', fromHealth], ['log', fromLog]]) {
        const { page, context } = await open(true, overrides);
        await page.getByRole('heading', { name: /您好/ }).waitFor();
        const alarms = page.getByRole('region', { name: '警示' });
        await alarms.getByText(/後門/).waitFor();
        check((await alarms.innerText()).includes('硬碟空間不足以保存規定的天數'), `${vp.name}: the floor alarm on home while the recorder answers (from the ${label})`);
        if (label === 'health') {
          const text = await alarms.innerText();
          check(text.includes('攝影機未在錄影：後門（一樓後門）：連不上攝影機（網路、電源或帳號密碼）'), `${vp.name}: home says why a camera is not recording: ${text}`);
          check(text.includes('攝影機串流兩分鐘內中斷過，錄影可能有缺口：遊戲室（二樓）：攝影機送出超過 40 Mbit/s，請檢查其位元率設定'), `${vp.name}: home says a recording camera's stream broke lately, and why: ${text}`);
          check(!text.includes('大門'), `${vp.name}: a camera recording with no problem is not listed: ${text}`);
        }
        if (label === 'log') await screen(page, `${vp.name}-home-floor-alarm`);
        await context.close();
      }
    }

    // 保存: the head sees the holds with their basis and releases one, with a reason.
    {
      const { page, context } = await open(true, applicationFixtures(PEOPLE.head, ['head'], null));
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      const homeNotices = page.getByRole('region', { name: '通知' });
      await homeNotices.getByText('保存即將屆期').waitFor();
      await homeNotices.getByRole('button', { name: '查看保存' }).click();
      const inForce = page.getByRole('region', { name: '保存中' });
      await inForce.getByText('高市警刑字第1號').waitFor();
      check((await inForce.innerText()).includes('刑事訴訟法第133條'), `${vp.name}: a hold shows its basis`);
      const kept = await page.getByRole('region', { name: '保存期限' }).innerText();
      check(kept.includes('14') && kept.includes('365') && kept.includes('40.0'), `${vp.name}: the retention status: ${kept}`);
      check((await inForce.innerText()).includes('調閱申請：王小明家長'), `${vp.name}: an application's hold names its applicant`);
      check((await inForce.innerText()).includes('即將屆期'), `${vp.name}: a hold about to lapse says so`);
      await screen(page, `${vp.name}-holds`);
      // The head renews the letter's hold before it lapses, with its legal basis.
      await inForce.getByRole('button', { name: '延長保存' }).last().click();
      await page.getByRole('button', { name: '確認延長並簽署' }).click();
      check(await page.getByText('請寫明延長保存之法令依據。').isVisible(), `${vp.name}: a renewal asks its legal basis`);
      check(await page.getByText(/自今日起再保存 90 日/).isVisible(), `${vp.name}: the renewal says for how long`);
      await page.getByLabel(/延長之法令依據/).fill('偵查中，依刑事訴訟法第133條');
      await page.getByRole('button', { name: '確認延長並簽署' }).click();
      await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'renew_hold'));
      const renewal = (await page.evaluate(() => window.__calls)).find((c) => c.cmd === 'renew_hold')?.args;
      check(
        JSON.stringify(renewal) === JSON.stringify({ hold: '01JCUSTOSHOLD000000000002', legalBasis: '偵查中，依刑事訴訟法第133條' }),
        `${vp.name}: the renewal sent: ${JSON.stringify(renewal)}`,
      );
      await inForce.getByRole('button', { name: '解除保存' }).last().click();
      await page.getByRole('button', { name: '確認解除並簽署' }).click();
      check(await page.getByText('請寫明理由').isVisible(), `${vp.name}: a release asks its reason`);
      await page.getByLabel(/解除理由/).fill('案件已偵結');
      await page.getByRole('button', { name: '確認解除並簽署' }).click();
      await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'release_hold'));
      const sent = (await page.evaluate(() => window.__calls)).find((c) => c.cmd === 'release_hold')?.args;
      check(
        JSON.stringify(sent) === JSON.stringify({ hold: '01JCUSTOSHOLD000000000002', reason: '案件已偵結' }),
        `${vp.name}: the release sent: ${JSON.stringify(sent)}`,
      );
      await context.close();
    }

    // 設置區位公告 (004 §5): the manager sees the camera register and the
    // public list, the recorder's notice that it is out of date, publishes
    // it after a confirmation, and records a check that found a difference
    // only with a note saying what.
    {
      const base = fixtures(true);
      const answers = {
        site: { ...base.site, may_review_location_notice: true },
        location_notice: { ...base.location_notice, may_review: true },
      };
      const { page, context } = await open(true, answers);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      const notices = page.getByRole('region', { name: '通知' });
      check((await notices.innerText()).includes('設置區位公告須更新'), `${vp.name}: home shows the site's notice`);
      await notices.getByRole('button', { name: '查看公告' }).click();
      const register = page.getByRole('region', { name: '攝影機登記' });
      await register.getByText('3140101-03-0001').waitFor();
      check((await register.innerText()).includes('戶外公共區域'), `${vp.name}: the register shows each camera's zone`);
      const publicList = page.getByRole('region', { name: '網站公告清單' });
      const listed = await publicList.getByRole('table').innerText();
      check(listed.includes('一樓後門') && !listed.includes('3140101') && !listed.includes('遊戲室'), `${vp.name}: the public list holds locations only: ${listed}`);
      check((await page.getByRole('status').first().innerText()).includes('設置區位公告須更新'), `${vp.name}: the notice on the screen`);
      await screen(page, `${vp.name}-locations`);
      const record = page.getByRole('region', { name: '公告紀錄' });
      check((await record.innerText()).includes('每 90 日'), `${vp.name}: the profile's period`);
      await record.getByRole('button', { name: '記錄已公告此清單' }).click();
      await record.getByRole('button', { name: '確定' }).click();
      await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'review_location_notice'));
      let sent = (await page.evaluate(() => window.__calls)).filter((c) => c.cmd === 'review_location_notice').map((c) => c.args);
      check(
        JSON.stringify(sent[0]) === JSON.stringify({ seen: 'cd'.repeat(32), kind: 'published', matches: true, note: '' }),
        `${vp.name}: the publication sent names the list shown: ${JSON.stringify(sent[0])}`,
      );
      await record.getByRole('button', { name: '記錄檢視結果' }).click();
      await record.getByRole('button', { name: '確定' }).click();
      check(await record.getByText('請選擇網站公告是否與清單相符。').isVisible(), `${vp.name}: a check asks whether it matches`);
      await record.getByRole('radio', { name: '不符' }).check();
      await record.getByRole('button', { name: '確定' }).click();
      check(await record.getByText('不符時請說明差異。').isVisible(), `${vp.name}: a difference asks what differs`);
      await screen(page, `${vp.name}-locations-check`);
      await record.getByLabel(/備考/).fill('網站缺後門一處');
      await record.getByRole('button', { name: '確定' }).click();
      await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'review_location_notice').length === 2);
      sent = (await page.evaluate(() => window.__calls)).filter((c) => c.cmd === 'review_location_notice').map((c) => c.args);
      check(
        JSON.stringify(sent[1]) === JSON.stringify({ seen: 'cd'.repeat(32), kind: 'checked', matches: false, note: '網站缺後門一處' }),
        `${vp.name}: the check sent: ${JSON.stringify(sent[1])}`,
      );
      await page.emulateMedia({ media: 'print' });
      check(!(await register.isVisible()) && (await publicList.isVisible()), `${vp.name}: the list prints alone`);
      await page.emulateMedia({ media: 'screen' });
      await context.close();
    }

    // 函覆: the manager records the reply letter to an agency's decided case.
    {
      const answers = applicationFixtures(PEOPLE.manager, ['manager'], null);
      answers.applications[1].case.official_letter = {
        number: '高市警刑字第1號', date: '2026-11-20', legal_basis: '刑事訴訟法', purpose: '偵辦', scope: '大門', intended_use: '證據',
      };
      const { page, context } = await open(true, answers);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      await page.getByRole('navigation').getByRole('button', { name: /調閱/ }).click();
      await page.getByRole('button', { name: /李老師/ }).click();
      const reply = page.getByRole('region', { name: '登錄函覆' });
      await reply.getByLabel('函覆文號').fill('高市教字第1130002號');
      await reply.getByLabel('發文日期').fill('2026-11-28');
      await screen(page, `${vp.name}-case-reply`);
      await reply.getByRole('button', { name: '簽署並登錄函覆' }).click();
      await page.getByRole('status').filter({ hasText: '已簽署' }).waitFor();
      const sent = (await page.evaluate(() => window.__calls)).find((c) => c.cmd === 'decide')?.args;
      check(
        JSON.stringify(sent) ===
          JSON.stringify({ application: '01JCUSTOSCASE000000000000', role: 'manager', decision: { kind: 'reply', letter: { number: '高市教字第1130002號', date: '2026-11-28', blob: null } } }),
        `${vp.name}: the reply letter sent: ${JSON.stringify(sent)}`,
      );
      await context.close();
    }

    // 通知 on home: a major case on the ethics office's phone (in the case's
    // own document) and a missed check in the month's log; each opens what it concerns.
    {
      const answers = applicationFixtures(PEOPLE.head, ['auditor'], null);
      answers.applications[0].case.major_or_abnormal = true;
      answers.applications[0].notices = {
        '01JCUSTOSNOTICE000000001': { kind: 'major_case', camera: null, subject: null, raised_at: NOW - 60_000, ended_at: null, detail: '重大或異常情事，應即通報政風室：王小明家長' },
        '01JCUSTOSNOTICE000000002': { kind: 'decision_overdue', camera: null, subject: null, raised_at: NOW - 120_000, ended_at: NOW - 60_000, detail: '已逾決定期限' },
      };
      const month = answers.inspection_month;
      month.alarms['01JCUSTOSALARM00000000009'] = { kind: 'check_overdue', camera: null, subject: '2026-11-25', raised_at: NOW - 3_600_000, ended_at: null, detail: '2026-11-25 起未做巡檢 / no walk-around check since 2026-11-25' };
      const { page, context } = await open(true, answers);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      const notices = page.getByRole('region', { name: '通知' });
      await notices.getByText(/重大或異常情事/).waitFor();
      const text = await notices.innerText();
      check(text.includes('王小明家長') && text.includes('未按時巡檢'), `${vp.name}: home's notices: ${text}`);
      check(!text.includes('已逾決定期限'), `${vp.name}: a cleared notice is not on home`);
      await screen(page, `${vp.name}-home-notices`);
      await notices.getByRole('button', { name: '查看申請' }).click();
      await page.getByRole('heading', { name: /王小明家長/ }).waitFor();
      // The ethics office records its spot check (002 §13); it decides nothing.
      check((await page.getByRole('button', { name: '核准', exact: true }).count()) === 0, `${vp.name}: the ethics office is offered no approval`);
      const spot = page.getByRole('region', { name: '不定期抽查' });
      await spot.getByLabel('抽查所見').fill('申請程序與附件齊全');
      await spot.getByRole('button', { name: '簽署抽查紀錄' }).click();
      await page.getByRole('status').filter({ hasText: '已簽署' }).waitFor();
      const sent = (await page.evaluate(() => window.__calls)).find((c) => c.cmd === 'decide')?.args;
      check(
        JSON.stringify(sent) === JSON.stringify({ application: CASE_ID, role: 'auditor', decision: { kind: 'spot_check', note: '申請程序與附件齊全' } }),
        `${vp.name}: the spot check sent: ${JSON.stringify(sent)}`,
      );
      await context.close();
    }

    // 稽核: the ethics office's device shows the audit trail as it checked
    // it itself (a countersignature that fails is named), the major cases
    // first and the logbook; "verify now" checks again on the device.
    {
      const answers = applicationFixtures(PEOPLE.head, ['auditor'], null);
      answers.applications[1].case.major_or_abnormal = true;
      const { page, context } = await open(true, answers);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      const home = page.getByRole('region', { name: '稽核軌跡' });
      check((await home.innerText()).includes('發現問題'), `${vp.name}: home says the last check found a problem`);
      await home.getByRole('button', { name: '稽核' }).click();
      const trail = page.getByRole('region', { name: '稽核軌跡' });
      await trail.getByText(/檢查點 42/).waitFor();
      const text = await trail.innerText();
      check(text.includes('陳園長') && text.includes('無效') && text.includes('林專責') && text.includes('簽署人不具可核章此紀錄的角色'), `${vp.name}: the failing countersignature is named: ${text}`);
      const major = await page.getByRole('region', { name: '重大或異常案件' }).innerText();
      check(major.includes('李老師') && !major.includes('王小明家長'), `${vp.name}: only the flagged case under major: ${major}`);
      const logbook = await page.getByRole('region', { name: '調閱登記簿' }).innerText();
      check(logbook.includes('王小明家長') && logbook.includes('37'), `${vp.name}: the logbook's viewing: ${logbook}`);
      await screen(page, `${vp.name}-oversight`);
      await trail.getByRole('button', { name: '立即驗證' }).click();
      await trail.getByText('結果：相符').waitFor();
      check((await page.evaluate(() => window.__calls)).some((c) => c.cmd === 'verify_audit'), `${vp.name}: verify now runs on the device`);
      await context.close();
    }

    // The recorder cannot be asked: home shows the alarms it last wrote
    // into the inspection log, still open.
    {
      const unreachable = { camera_health: { __error: { kind: 'offline', message: 'the recorder cannot be reached', field: null } } };
      const { page, context } = await open(true, unreachable);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      const alarms = page.getByRole('region', { name: '警示' });
      await alarms.getByText(/後門/).waitFor();
      check((await alarms.innerText()).includes('攝影機未在錄影：後門（一樓後門），自'), `${vp.name}: the log's open alarm on home, offline`);
      await screen(page, `${vp.name}-home-offline-alarm`);
      await context.close();
    }

    // Applications: the manager files a guardian's request on the tablet.
    // Errors are named beside their fields before anything is sent; the
    // window's footage is looked up; then the manager withdraws it.
    {
      const { page, context } = await open(true, applicationFixtures(PEOPLE.manager, ['manager'], null));
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      await page.getByRole('navigation').getByRole('button', { name: /調閱/ }).click();
      await page.getByRole('heading', { name: '調閱申請', exact: true }).waitFor();
      const others = await page.getByRole('region', { name: '其他申請' }).innerText();
      check(others.includes('王小明家長') && others.includes('審核中'), `${vp.name}: the list shows the case in review`);
      check(others.includes('已否准'), `${vp.name}: a decided case is listed with its status`);
      await screen(page, `${vp.name}-applications`);
      await page.getByRole('button', { name: '新增調閱申請' }).click();
      await page.getByRole('heading', { name: '填寫調閱申請' }).waitFor();
      await page.getByRole('button', { name: '送出申請' }).click();
      await page.getByRole('alert').filter({ hasText: '請修正' }).waitFor();
      for (const field of ['applicant_name', 'national_id', 'relation', 'cameras', 'window', 'category', 'reason']) {
        const error = page.locator(`#e-${field}`);
        const text = (await error.count()) > 0 ? await error.innerText() : '';
        check(text.includes('此欄必填'), `${vp.name}: the empty ${field} is named beside it`);
      }
      check((await page.locator('#f-applicant_name').getAttribute('aria-describedby')) === 'e-applicant_name', `${vp.name}: the error is tied to its input`);
      check((await page.locator('#e-signature').innerText()).includes('簽名'), `${vp.name}: the applicant must sign the undertaking`);
      const calls = () => page.evaluate(() => window.__calls);
      check(!(await calls()).some((c) => c.cmd === 'file_application'), `${vp.name}: nothing is sent while fields are missing`);
      await screen(page, `${vp.name}-file-errors`);

      await page.locator('#f-applicant_name').fill('王小明家長');
      await page.locator('#f-national_id').fill('A123456789');
      await page.locator('#f-phone').fill('0912345678');
      await page.locator('#f-relation').fill('父親');
      await page.locator('#f-unit').fill('大班');
      await page.getByRole('checkbox', { name: /大門/ }).check();
      await page.getByRole('checkbox', { name: /遊戲室/ }).check();
      await page.getByLabel('自', { exact: true }).fill('2026-11-20T09:00');
      await page.getByLabel('至', { exact: true }).fill('2026-11-20T12:00');
      await page.getByText(/缺少錄影/).waitFor();
      const spans = (await calls()).filter((c) => c.cmd === 'footage_spans').at(-1);
      check(
        JSON.stringify(spans?.args) === JSON.stringify({ cameras: ['cam-01', 'cam-02'], from: '2026-11-20 09:00', to: '2026-11-20 12:00' }),
        `${vp.name}: the footage of the window is asked: ${JSON.stringify(spans?.args)}`,
      );
      check((await page.getByRole('note').filter({ hasText: '超過' }).count()) === 1, `${vp.name}: a three-hour window is warned of`);
      await page.locator('#f-category').selectOption('suspected_improper_treatment');
      await page.locator('#f-reason').fill('幼兒手臂瘀青，家長請求查看午睡時段');
      // The applicant signs on the tablet: a stroke across the pad, then kept.
      const canvas = page.getByRole('group', { name: /請用手指或觸控筆/ }).locator('canvas');
      await canvas.scrollIntoViewIfNeeded();
      const pad = await canvas.boundingBox();
      await page.mouse.move(pad.x + 20, pad.y + pad.height / 2);
      await page.mouse.down();
      for (let i = 1; i <= 10; i++) await page.mouse.move(pad.x + 20 + i * (pad.width / 14), pad.y + pad.height / 2 + (i % 2 ? -15 : 15));
      await page.mouse.up();
      await page.getByRole('button', { name: '確認簽名' }).click();
      await page.getByRole('img', { name: /已簽名/ }).waitFor();
      check((await calls()).some((c) => c.cmd === 'add_photo'), `${vp.name}: the signature is kept as a photo`);
      await screen(page, `${vp.name}-file-filled`);
      await page.getByRole('button', { name: '送出申請' }).click();
      await page.getByRole('heading', { name: /王小明家長/ }).waitFor();
      const filed = (await calls()).find((c) => c.cmd === 'file_application')?.args?.draft;
      check(
        filed?.applicant_kind === 'guardian_or_student' && filed?.national_id === 'A123456789' && filed?.relation === '父親' &&
          filed?.from === '2026-11-20 09:00' && filed?.to === '2026-11-20 12:00' && filed?.category === 'suspected_improper_treatment' &&
          filed?.cameras.join() === 'cam-01,cam-02' && filed?.viewer === null && filed?.signature === '5c'.repeat(32),
        `${vp.name}: the draft sent holds what the form asks: ${JSON.stringify(filed)}`,
      );

      // The manager withdraws the case: a reason first, then the signature.
      await page.getByRole('button', { name: '撤回申請' }).click();
      await page.getByRole('button', { name: '確認簽署' }).click();
      check((await page.locator('#reason-error').innerText()).includes('理由'), `${vp.name}: a withdrawal asks its reason`);
      check(!(await calls()).some((c) => c.cmd === 'decide'), `${vp.name}: nothing signed without a reason`);
      await page.getByLabel(/理由/).fill('家長撤回申請');
      await page.getByRole('button', { name: '確認簽署' }).click();
      await page.getByRole('status').filter({ hasText: '已簽署' }).waitFor();
      const withdraw = (await calls()).find((c) => c.cmd === 'decide')?.args;
      check(
        JSON.stringify(withdraw) === JSON.stringify({ application: CASE_ID, role: 'manager', decision: { kind: 'withdraw', reason: '家長撤回申請' } }),
        `${vp.name}: the withdrawal sent: ${JSON.stringify(withdraw)}`,
      );

      // The manager amends the case: the form as it was filed, a warning
      // that the decisions are voided, and a confirmation before it is sent.
      await page.getByRole('button', { name: '修改申請' }).click();
      await page.getByRole('heading', { name: '修改調閱申請' }).waitFor();
      check((await page.getByRole('note').filter({ hasText: '失效' }).count()) === 1, `${vp.name}: amending says it voids the decisions`);
      check((await page.locator('#f-relation').inputValue()) === '父親', `${vp.name}: the form holds the case as filed`);
      check((await page.locator('#f-national_id').inputValue()) === 'A123456789', `${vp.name}: and its personal data`);
      await page.locator('#f-reason').fill('幼兒手臂瘀青，補充：午睡及點心時段');
      await page.getByRole('button', { name: '送出修改' }).click();
      await page.getByRole('alert').filter({ hasText: '不再列入計算' }).waitFor();
      check(!(await calls()).some((c) => c.cmd === 'amend_application'), `${vp.name}: nothing amended before the confirmation`);
      await screen(page, `${vp.name}-amend-confirm`);
      await page.getByRole('button', { name: /確定修改/ }).click();
      await page.getByRole('heading', { name: /王小明家長/ }).waitFor();
      const amended = (await calls()).find((c) => c.cmd === 'amend_application')?.args;
      check(
        amended?.application === CASE_ID && amended?.draft?.reason === '幼兒手臂瘀青，補充：午睡及點心時段' && amended?.draft?.signature === '5c'.repeat(32),
        `${vp.name}: the amendment sent: ${JSON.stringify(amended)}`,
      );
      await context.close();
    }

    // The parent representative votes on a phone: the case awaits their
    // step; a vote against needs its reason.
    {
      const turn = { step: 2, role: 'committee_parent', committee: true };
      const { page, context } = await open(true, applicationFixtures(PEOPLE.parent, ['committee_parent'], turn));
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      await page.getByRole('navigation').getByRole('button', { name: /調閱/ }).click();
      const mine = page.getByRole('region', { name: '待我簽核' });
      await mine.getByText('王小明家長').waitFor();
      check((await mine.innerText()).includes('輪到您'), `${vp.name}: the case is on the representative's desk`);
      check((await page.getByRole('button', { name: '新增調閱申請' }).count()) === 0, `${vp.name}: a representative files nothing`);
      await mine.getByRole('button', { name: /王小明家長/ }).click();
      const steps = await page.getByRole('region', { name: '簽核流程' }).innerText();
      check(steps.includes('尚待投票：家長代表') && steps.includes('陳老師'), `${vp.name}: who voted and who is still needed`);
      check((await page.getByRole('region', { name: '簽核紀錄' }).innerText()).includes('張主任'), `${vp.name}: who decided before`);
      await screen(page, `${vp.name}-case-vote`);
      await page.getByRole('button', { name: '投票反對' }).click();
      await page.getByRole('button', { name: '確認簽署' }).click();
      check(await page.locator('#reason-error').isVisible(), `${vp.name}: a vote against asks why`);
      await page.getByLabel(/理由/).fill('時段超出事件範圍');
      await page.getByRole('button', { name: '確認簽署' }).click();
      await page.getByRole('status').filter({ hasText: '已簽署' }).waitFor();
      const vote = (await page.evaluate(() => window.__calls)).find((c) => c.cmd === 'decide')?.args;
      check(
        JSON.stringify(vote) ===
          JSON.stringify({ application: CASE_ID, role: 'committee_parent', decision: { kind: 'vote', in_favour: false, reason: '時段超出事件範圍' } }),
        `${vp.name}: the vote sent: ${JSON.stringify(vote)}`,
      );
      await context.close();
    }

    // The escort's viewing: an approved application, the viewer checked
    // against the ID's last four, the session opened; the watermarked frame
    // (no menu, no drag), a scrub, play and pause, and the end after a
    // confirmation.
    {
      const answers = applicationFixtures(PEOPLE.manager, ['manager'], null);
      answers.applications = answers.applications.map((v, i) => (i === 0 ? { ...v, status: { state: 'approved' } } : v));
      answers.site = { ...answers.site, escort_role: 'manager' };
      const from = answers.applications[0].case.window.start;
      const to = answers.applications[0].case.window.end;
      answers.open_viewing = {
        session: '01JCUSTOSSESSION000000001', application: CASE_ID, window: { from_ms: from, to_ms: to },
        cameras: [{ camera: 'cam-02', recorded: [{ from_ms: from, to_ms: to - 600_000 }], missing: [{ from_ms: to - 600_000, to_ms: to }] }],
        opened_ms: NOW, ends_ms: NOW + 3_600_000, idle_minutes: 10, audio_withheld: true,
      };
      answers.close_viewing = { session: '01JCUSTOSSESSION000000001', frames: 12, ended_by: 'escort' };
      const { page, context } = await open(true, answers);
      await page.evaluate((b) => (window.__CUSTOS_FRAME_BASE__ = b), `${base}frames/`);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      await page.getByRole('navigation').getByRole('button', { name: /調閱/ }).click();
      await page.getByRole('region', { name: '其他申請' }).getByRole('button', { name: /王小明家長/ }).click();
      await page.getByRole('button', { name: '開始陪同閱覽' }).click();
      await page.getByRole('heading', { name: '核對閱覽人身分' }).waitFor();
      const who = await page.getByRole('region', { name: '核對閱覽人身分' }).innerText();
      check(who.includes('王小明家長') && who.includes('6789'), `${vp.name}: the viewer's name and ID's last four are shown`);
      const openButton = page.getByRole('button', { name: '開啟閱覽' });
      check(await openButton.isDisabled(), `${vp.name}: nothing opens before the ID is checked`);
      await screen(page, `${vp.name}-viewing-confirm`);
      await page.getByRole('checkbox', { name: /身分證件/ }).check();
      await openButton.click();
      const picture = page.locator('.frame img');
      await picture.waitFor();
      const sent = (await page.evaluate(() => window.__calls)).find((c) => c.cmd === 'open_viewing')?.args;
      check(sent?.application === CASE_ID && sent?.applicantChecked === true && sent?.role === 'manager', `${vp.name}: the opening sent: ${JSON.stringify(sent)}`);
      check((await picture.getAttribute('draggable')) === 'false', `${vp.name}: the frame cannot be dragged`);
      const prevented = await page.locator('.frame').evaluate((el) => !el.dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true })));
      check(prevented, `${vp.name}: no context menu on the frame`);
      check((await page.getByRole('note').filter({ hasText: '不播放聲音' }).count()) === 1, `${vp.name}: sound withheld is said`);
      check((await page.getByText('以下時段無影像').count()) === 1, `${vp.name}: the gap in the window is named`);
      await page.locator('.strip img').waitFor();
      check(frameRequests.some((r) => r.strip && r.camera === 'cam-02'), `${vp.name}: the scrubber's strip is asked`);
      await screen(page, `${vp.name}-viewing`);
      const before = frameRequests.length;
      await page.getByRole('slider').focus();
      await page.keyboard.press('ArrowRight');
      // A frame already on its way is answered first; the preview follows it.
      for (let i = 0; i < 30 && !frameRequests.slice(before).some((r) => r.mode === 'keyframe'); i++) await page.waitForTimeout(100);
      check(frameRequests.slice(before).some((r) => r.mode === 'keyframe'), `${vp.name}: scrubbing asks keyframe previews`);
      const playedFrom = frameRequests.length;
      await page.getByRole('button', { name: '播放' }).click();
      await page.waitForTimeout(600);
      await page.getByRole('button', { name: '暫停' }).click();
      const played = frameRequests.slice(playedFrom).filter((r) => r.mode === 'play' && !r.strip).map((r) => r.t);
      check(played.length >= 3 && played.every((t, i) => i === 0 || t > played[i - 1]), `${vp.name}: play asks frames in order: ${played.join(',')}`);
      await page.getByRole('button', { name: '結束閱覽' }).click();
      await page.getByRole('button', { name: '確定結束' }).click();
      await page.getByRole('status').filter({ hasText: '閱覽已結束' }).waitFor();
      check((await page.evaluate(() => window.__calls)).some((c) => c.cmd === 'close_viewing'), `${vp.name}: the session is ended at the recorder`);
      await screen(page, `${vp.name}-viewing-ended`);
      await context.close();
    }

    // 複製: the manager asks the recorder to export an approved agency's
    // copy application, after a confirmation; the recorder writes it to its
    // own disk, and the tablet shows where and the fingerprint for the reply.
    {
      const answers = applicationFixtures(PEOPLE.manager, ['manager'], null);
      const first = answers.applications[0];
      const copy = {
        ...first,
        status: { state: 'approved' },
        turn: null,
        case: { ...first.case, applicant_kind: 'public_agency', kinds: ['copy'], applicant_name: '高雄市政府警察局' },
      };
      answers.applications = [copy, ...answers.applications.slice(1)];
      answers.start_export = { job: '01JCUSTOSEXPORTJOB0000001', application: copy.case.id, progress: { state: 'writing', done_bytes: 0, total_bytes: 7_200_000 } };
      answers.export_job = {
        job: '01JCUSTOSEXPORTJOB0000001',
        application: copy.case.id,
        progress: { state: 'done', archive: '/media/usb/custos-export-20261202-ABC123', manifest_sha256: 'ab'.repeat(32), fingerprint: '3826b9d2a1de8c7fea5f80df196a435db9679c177d3d86add313462d89f18d06', segments: 3, pending: 1, missing: [] },
      };
      const { page, context } = await open(true, answers);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      await page.getByRole('navigation').getByRole('button', { name: /調閱/ }).click();
      await page.getByRole('button', { name: /高雄市政府警察局/ }).first().click();
      const card = page.getByRole('region', { name: '複製（匯出交付機關）' });
      await card.waitFor();
      check((await card.innerText()).includes('不經過本平板'), `${vp.name}: the copy goes to the recorder's disk, not the tablet`);
      check((await page.getByRole('button', { name: '開始陪同閱覽' }).count()) === 0, `${vp.name}: no viewing offered for a copy-only application`);
      await card.getByRole('button', { name: '匯出複製檔' }).click();
      check((await page.evaluate(() => window.__calls)).every((c) => c.cmd !== 'start_export'), `${vp.name}: nothing starts before the confirmation`);
      await card.getByRole('button', { name: '確定匯出' }).click();
      await card.getByText('場域金鑰指紋').waitFor();
      const sent = (await page.evaluate(() => window.__calls)).find((c) => c.cmd === 'start_export')?.args;
      check(sent?.application === copy.case.id, `${vp.name}: the export asked for: ${JSON.stringify(sent)}`);
      const done = await card.innerText();
      check(done.includes('/media/usb/custos-export-20261202-ABC123') && done.includes('3826b9d2') && done.includes('尚待首長或政風室副署'), `${vp.name}: where, the fingerprint, pending: ${done}`);
      await screen(page, `${vp.name}-case-export`);
      await context.close();
      // Once exported, the case says so with the fingerprint for the reply letter, and offers no second export.
      answers.applications = [{ ...copy, exported: true }, ...answers.applications.slice(1)];
      const again = await open(true, answers);
      await again.page.getByRole('heading', { name: /您好/ }).waitFor();
      await again.page.getByRole('navigation').getByRole('button', { name: /調閱/ }).click();
      await again.page.getByRole('button', { name: /高雄市政府警察局/ }).first().click();
      const note = await again.page.getByRole('note').filter({ hasText: '已複製' }).innerText();
      check(note.includes('3826b9d2a1de8c7f'), `${vp.name}: the exported case states the fingerprint: ${note}`);
      check((await again.page.getByRole('button', { name: '匯出複製檔' }).count()) === 0, `${vp.name}: no second export offered`);
      await again.context.close();

      // While the recorder cannot be reached the tablet keeps the progress and
      // says it will show it again; after a restart of the recorder, which
      // forgets the job, it says what to do and offers the export again.
      answers.applications = [copy, ...answers.applications.slice(1)];
      for (const [why, error, said, offered] of [
        ['offline', { kind: 'offline', message: 'the recorder cannot be reached', field: null }, '暫時連不上錄影主機', false],
        ['restarted', { kind: 'recorder', message: 'No export: no export of that id was started from this device', field: null }, '錄影主機已重新啟動', true],
      ]) {
        answers.export_job = { __error: error };
        const cut = await open(true, answers);
        await cut.page.getByRole('heading', { name: /您好/ }).waitFor();
        await cut.page.getByRole('navigation').getByRole('button', { name: /調閱/ }).click();
        await cut.page.getByRole('button', { name: /高雄市政府警察局/ }).first().click();
        const cutCard = cut.page.getByRole('region', { name: '複製（匯出交付機關）' });
        await cutCard.getByRole('button', { name: '匯出複製檔' }).click();
        await cutCard.getByRole('button', { name: '確定匯出' }).click();
        await cutCard.getByRole('alert').filter({ hasText: said }).waitFor();
        const shown = await cutCard.innerText();
        const again = (await cutCard.getByRole('button', { name: '匯出複製檔' }).count()) === 1;
        check(again === offered && (offered || (await cutCard.locator('progress').count()) === 1), `${vp.name}, ${why}: ${shown}`);
        await cut.context.close();
      }
    }

    // 調閱登記簿: the entry the recorder wrote, who countersigned, the
    // manager's 核章 after a confirmation, and the print view of 附件2.
    {
      const { page, context } = await open(true, applicationFixtures(PEOPLE.manager, ['manager'], null));
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      await page.getByRole('navigation').getByRole('button', { name: /調閱/ }).click();
      await page.getByRole('button', { name: '調閱登記簿' }).click();
      const entry = page.locator('li.entry', { hasText: '王小明家長' });
      await entry.waitFor();
      // An export (複製) is listed as the recorder wrote it, with no frame count.
      const copy = await page.locator('li.entry', { hasText: '李警員' }).innerText();
      check(copy.includes('複製：匯出檔已寫入並驗證') && copy.includes('工作副本已刪除') && !copy.includes('（0）'), `${vp.name}: the export's entry: ${copy}`);
      const text = await entry.innerText();
      check(text.includes('王小明家長') && text.includes('張主任') && text.includes('由陪同人員結束'), `${vp.name}: the entry, its countersignature and its end: ${text}`);
      check(text.includes('遊戲室') && text.includes('37'), `${vp.name}: the footage served, per camera, with frames`);
      await screen(page, `${vp.name}-logbook`);
      await entry.getByRole('button', { name: '核章' }).click();
      await entry.getByRole('button', { name: '確認核章' }).click();
      for (let i = 0; i < 30 && !(await page.evaluate(() => window.__calls)).some((c) => c.cmd === 'countersign_logbook'); i++) await page.waitForTimeout(100);
      const sent = (await page.evaluate(() => window.__calls)).find((c) => c.cmd === 'countersign_logbook')?.args;
      check(sent?.entry === '01JCUSTOSLOGBOOK000000001', `${vp.name}: the countersignature sent: ${JSON.stringify(sent)}`);
      await page.getByRole('button', { name: '列印登記簿' }).click();
      const paper = await page.locator('article.paper').innerText();
      check(paper.includes('監視錄影系統監錄資料調閱登記簿') && paper.includes('系統操作承辦人') && paper.includes('☑調閱') && paper.includes('☑複製'), `${vp.name}: 附件2 as the paper form, the export's line ticking 複製`);
      check(/\d+ 年 \d+ 月 \d+ 日/.test(paper), `${vp.name}: ROC dates on the form`);
      await screen(page, `${vp.name}-logbook-print`);
      await context.close();
    }

    // The head approves on a phone, or rejects with a reason; a decision
    // not yet on the recorder is marked provisional.
    for (const action of ['approve', 'reject']) {
      const answers = applicationFixtures(PEOPLE.head, ['head'], { step: 3, role: 'head', committee: false });
      answers.applications = answers.applications.map((v, i) => (i === 0 ? { ...v, status: { state: 'in_review', next_step: 3 }, provisional: true } : v));
      const { page, context } = await open(true, answers);
      await page.getByRole('heading', { name: /您好/ }).waitFor();
      await page.getByRole('navigation').getByRole('button', { name: /調閱/ }).click();
      const mine = page.getByRole('region', { name: '待我簽核' });
      check((await mine.innerText()).includes('尚未送達錄影主機'), `${vp.name}: provisional in the list`);
      await mine.getByRole('button', { name: /王小明家長/ }).click();
      check((await page.getByRole('note').filter({ hasText: '本機的判讀' }).count()) === 1, `${vp.name}: provisional on the case page`);
      if (action === 'approve') {
        // 附件1 as it prints: the boxes filled by who signed, ROC dates, the
        // first 8 hex digits of each signature, the drawn signature, the
        // committee's votes as an annex.
        await page.getByRole('button', { name: '列印申請單' }).click();
        const paper = page.getByRole('article', { name: /監視錄影系統監錄資料調閱申請單/ });
        await paper.waitFor();
        const box = async (label) => paper.locator(`td[data-box="${label}"]`).innerText();
        const officer = await box('監錄系統管理承辦人');
        check(officer.includes('林專責') && /民國\d+年/.test(officer) && officer.includes('efefefef'), `${vp.name}: the officer's box: ${officer}`);
        check((await box('監錄系統管理處室主管')).includes('張主任'), `${vp.name}: the office head's box`);
        check((await paper.getByRole('img', { name: /申請人簽名/ }).count()) === 1, `${vp.name}: the applicant's drawn signature is printed`);
        check((await paper.innerText()).includes('A123456789'), `${vp.name}: the personal data is on the form for the head`);
        const annex = await paper.getByRole('region', { name: /附件/ }).innerText();
        check(annex.includes('陳老師') && annex.includes('贊成'), `${vp.name}: the votes as an annex: ${annex}`);
        await screen(page, `${vp.name}-case-print`);
        await page.emulateMedia({ media: 'print' });
        check(!(await page.getByRole('navigation').isVisible()), `${vp.name}: the form prints without the navigation`);
        await page.screenshot({ path: join(out, `${vp.name}-case-print-paper.png`), fullPage: true });
        await page.emulateMedia({ media: 'screen' });
        await page.getByRole('button', { name: '返回申請' }).click();
      }
      // One-handed on a phone: the step's button is within reach from the
      // top of the page, and brings the choices to the thumb.
      const reach = page.getByRole('button', { name: /前往簽核/ });
      if (vp.width < 700) {
        const at = await reach.boundingBox();
        check(at !== null && at.y + at.height <= vp.height && at.height >= 44, `${vp.name}: the step's button is on the first screen: ${JSON.stringify(at)}`);
        await reach.click();
        check(
          await page.evaluate(() => document.activeElement?.textContent?.trim() === (document.querySelector('.choices button')?.textContent ?? '').trim()),
          `${vp.name}: going to the step focuses its first choice`,
        );
      } else {
        check(!(await reach.isVisible()), `${vp.name}: a tablet shows the step without a reach button`);
      }
      if (action === 'approve') {
        await page.getByRole('button', { name: '核准', exact: true }).click();
      } else {
        await page.getByRole('button', { name: '否准', exact: true }).click();
        await page.getByLabel(/理由/).fill('時段與事由不符');
      }
      if (action === 'approve') await screen(page, `${vp.name}-case-approve`);
      await page.getByRole('button', { name: '確認簽署' }).click();
      await page.getByRole('status').filter({ hasText: '已簽署' }).waitFor();
      const sent = (await page.evaluate(() => window.__calls)).find((c) => c.cmd === 'decide')?.args;
      const decision = action === 'approve' ? { kind: 'approve' } : { kind: 'reject', reason: '時段與事由不符' };
      check(
        JSON.stringify(sent) === JSON.stringify({ application: CASE_ID, role: 'head', decision }),
        `${vp.name}: the head's ${action} sent: ${JSON.stringify(sent)}`,
      );
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

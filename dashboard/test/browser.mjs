// The dashboard in a real browser: playwright-core (pinned in ../package-lock.json) drives
// Debian's chromium, headless. Run by tests/integration/test_dashboard_browser.py, which starts
// the gateway, a live sipp call and a scanner first, and passes (environment):
//   TG_URL          the dashboard, http://127.0.0.1:PORT/
//   TG_ADMIN        the admin's name;  TG_TOTP_SECRET  its TOTP secret (base32)
//   TG_PASSWORD     the admin's API password
//   TG_WRONG_CODE   a code that is not valid now (the test knows which)
//   TG_SHOTS        where the screenshots go (one PNG per page)
//   TG_SCANNER      the scanner's address, whose event must be listed
//   TG_MODULES      the node_modules with playwright-core (the build tree's)
//   TG_CHROMIUM     the browser (default /usr/bin/chromium)
// Prints one line per step and exits 1 at the first failed step.
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const url = env('TG_URL');
const shots = env('TG_SHOTS');
const scanner = env('TG_SCANNER');
const { chromium } = createRequire(path.join(env('TG_MODULES'), 'noop.js'))('playwright-core');

// RFC 6238: HMAC-SHA1 over the 30 s step, 6 digits (what `trunkguard admin add` enrols).
function totp(secretBase32, at = Date.now() / 1000) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}

function step(text) {
  console.log(`browser: ${text}`);
}

mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: env('TG_CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  // As root (CI), chromium's sandbox cannot start.
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
let failed = false;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const consoleErrors = [];
// A 401 or 404 answer is logged by the browser as a failed load; script errors are what count.
page.on('console', (m) => {
  if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) consoleErrors.push(m.text());
});
page.on('pageerror', (e) => consoleErrors.push(e.message));
page.on('dialog', (d) => d.accept());  // "End call ...?", "Ban ...?"
try {
  await page.goto(url);
  await page.waitForSelector('#login');
  await page.screenshot({ path: path.join(shots, 'login.png') });
  step('the login page is shown');

  await page.fill('input[name=user]', env('TG_ADMIN'));
  await page.fill('input[name=password]', env('TG_PASSWORD'));
  await page.fill('input[name=code]', env('TG_WRONG_CODE'));
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#login-error')?.textContent);
  step(`a wrong code is refused: "${await page.textContent('#login-error')}"`);

  await page.fill('input[name=code]', totp(env('TG_TOTP_SECRET')));
  await page.click('button[type=submit]');
  await page.waitForSelector('#nav-overview');
  step('logged in with the current TOTP code');

  // The overview fills from the stream's ticks and shows the providers.
  await page.waitForFunction(() => document.querySelector('#t-calls')?.textContent === '1',
                             null, { timeout: 15000 });
  await page.waitForSelector('#health td');
  await page.waitForTimeout(2500);  // a few more ticks on the charts
  await page.screenshot({ path: path.join(shots, 'overview.png') });
  step('the overview counts the live call');

  await page.click('#nav-calls');
  const row = page.locator('#calls tr[data-uuid]');
  await row.first().waitFor({ timeout: 10000 });
  const uuid = await row.first().getAttribute('data-uuid');
  await page.screenshot({ path: path.join(shots, 'calls.png') });
  step(`the live call ${uuid} is listed`);
  await page.click(`#calls button[data-uuid="${uuid}"]`);
  await page.waitForFunction((u) => !document.querySelector(`#calls tr[data-uuid="${u}"]`),
                             uuid, { timeout: 10000 });
  step(`ended ${uuid} from the page: ${await page.textContent('#calls-status')}`);

  // The events page needs GET /api/v1/events.
  const events = await page.evaluate(async () => (await fetch('/api/v1/events?limit=1')).status);
  if (events === 404) {
    step('SKIP events and bans: this gateway has no /api/v1/events');
  } else {
    await page.click('#nav-events');
    const event = page.locator(`#events tr[data-source^="${scanner}"]`);  // with a port or not
    await event.first().waitFor({ timeout: 15000 });
    await page.screenshot({ path: path.join(shots, 'events.png') });
    step(`the scanner's event is listed: ${(await event.first().innerText()).replace(/\s+/g, ' ')}`);
    await event.first().locator('button').click();
    await page.waitForFunction(() => /Banned/.test(
      document.querySelector('#events-status')?.textContent || ''), null, { timeout: 10000 });
    step('banned the scanner from its event');
    await page.click('#nav-bans');
    await page.locator('#bans td', { hasText: scanner }).first().waitFor({ timeout: 10000 });
    await page.screenshot({ path: path.join(shots, 'bans.png') });
    step('the ban is listed');
  }
  if (consoleErrors.length) throw new Error(`console errors: ${consoleErrors.join(' | ')}`);
} catch (err) {
  failed = true;
  console.log(`browser: FAILED: ${err.message}`);
  await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

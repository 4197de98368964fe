import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';

import {
  UTC,
  formatGoTime,
  formatRFC3339,
  formatRFC3339Nano,
  goTimeString,
  loadLocation,
  localLocation,
  resetLocalLocation,
} from '../../src/cli/format/index.js';

const haveZoneinfo = existsSync('/usr/share/zoneinfo/Europe/Berlin');
const sec = (iso: string): number => Date.parse(iso) / 1000;

describe('gotime: layouts', () => {
  it("formats Time.String() as docker's CreatedAt shows it", () => {
    assert.equal(goTimeString(sec('2026-11-25T20:47:59Z'), 0, UTC), '2026-11-25 20:47:59 +0000 UTC');
    assert.equal(goTimeString(sec('2026-11-25T20:47:59Z'), 120000000, UTC), '2026-11-25 20:47:59.12 +0000 UTC');
  });

  it('formats RFC3339 and RFC3339Nano', () => {
    assert.equal(formatRFC3339(sec('2026-11-25T20:47:56Z'), UTC), '2026-11-25T20:47:56Z');
    assert.equal(formatRFC3339Nano(sec('2026-11-25T20:47:56Z'), 494655803, UTC), '2026-11-25T20:47:56.494655803Z');
    assert.equal(formatRFC3339Nano(sec('2026-11-25T20:47:56Z'), 494655800, UTC), '2026-11-25T20:47:56.4946558Z');
    assert.equal(formatRFC3339Nano(sec('2017-01-01T12:00:03Z'), 0, UTC), '2017-01-01T12:00:03Z');
  });

  it('supports the common layout elements', () => {
    const t = sec('2006-01-02T15:04:05Z');
    assert.equal(formatGoTime('Mon Jan _2 15:04:05 MST 2006', t, 0, UTC), 'Mon Jan  2 15:04:05 UTC 2006');
    assert.equal(formatGoTime('Monday, 02-Jan-06 03:04:05PM -07:00', t, 0, UTC), 'Monday, 02-Jan-06 03:04:05PM +00:00');
    assert.equal(formatGoTime('2006-01-02 3:4:5 pm .000 ,999', t, 7000000, UTC), '2006-01-02 3:4:5 pm .007 ,007');
    assert.equal(formatGoTime('January 2, 2006 002 Z0700', t, 0, UTC), 'January 2, 2006 002 Z');
  });
});

describe('gotime: zones', { skip: !haveZoneinfo && 'no zoneinfo database' }, () => {
  afterEach(() => {
    resetLocalLocation();
  });

  it('reads TZif data with DST and numeric abbreviations', () => {
    const berlin = loadLocation('Europe/Berlin');
    assert.equal(goTimeString(sec('2024-07-01T12:00:00Z'), 0, berlin), '2024-07-01 14:00:00 +0200 CEST');
    assert.equal(goTimeString(sec('2024-01-01T12:00:00Z'), 0, berlin), '2024-01-01 13:00:00 +0100 CET');
    assert.equal(formatRFC3339(sec('2024-07-01T12:00:00Z'), berlin), '2024-07-01T14:00:00+02:00');
    assert.equal(goTimeString(sec('2071-07-01T12:00:00Z'), 0, berlin), '2071-07-01 14:00:00 +0200 CEST');
    assert.equal(goTimeString(sec('2071-12-01T12:00:00Z'), 0, berlin), '2071-12-01 13:00:00 +0100 CET');
    const ny = loadLocation('America/New_York');
    assert.equal(goTimeString(sec('2024-03-10T06:59:59Z'), 0, ny), '2024-03-10 01:59:59 -0500 EST');
    assert.equal(goTimeString(sec('2024-03-10T07:00:00Z'), 0, ny), '2024-03-10 03:00:00 -0400 EDT');
    assert.equal(goTimeString(sec('2024-07-01T12:00:00Z'), 0, loadLocation('Asia/Kolkata')), '2024-07-01 17:30:00 +0530 IST');
    assert.equal(goTimeString(sec('2024-07-01T12:00:00Z'), 0, loadLocation('America/Sao_Paulo')), '2024-07-01 09:00:00 -0300 -03');
  });

  it("resolves Local from TZ the way Go's runtime does", () => {
    const saved = process.env.TZ;
    try {
      const at = sec('2024-07-01T12:00:00Z');
      process.env.TZ = 'Europe/Berlin';
      resetLocalLocation();
      assert.equal(goTimeString(at), '2024-07-01 14:00:00 +0200 CEST');
      process.env.TZ = ':Asia/Tokyo';
      resetLocalLocation();
      assert.equal(goTimeString(at), '2024-07-01 21:00:00 +0900 JST');
      process.env.TZ = '';
      resetLocalLocation();
      assert.equal(goTimeString(at), '2024-07-01 12:00:00 +0000 UTC');
      process.env.TZ = 'No/Such_Zone';
      resetLocalLocation();
      assert.equal(goTimeString(at), '2024-07-01 12:00:00 +0000 UTC');
      process.env.TZ = '/usr/share/zoneinfo/Europe/Berlin';
      resetLocalLocation();
      assert.equal(localLocation().name, '/usr/share/zoneinfo/Europe/Berlin');
      assert.equal(formatRFC3339(at), '2024-07-01T14:00:00+02:00');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('gotime: time.Time values in templates and JSON', () => {
  it('prints Time.String() and marshals RFC3339Nano', async () => {
    const { goTime, parseGoTime, parseDockerFormat, marshal } = await import('../../src/cli/format/index.js');
    const t = parseGoTime('2026-11-25T20:47:56.494655803Z');
    assert.equal(parseDockerFormat('{{.T}} {{json .T}}').execute({ T: t }), '2026-11-25 20:47:56.494655803 +0000 UTC "2026-11-25T20:47:56.494655803Z"');
    const zero = parseGoTime('0001-01-01T00:00:00Z');
    assert.equal(marshal({ LastTagTime: zero }), '{"LastTagTime":"0001-01-01T00:00:00Z"}');
    assert.equal(parseDockerFormat('{{.}}').execute(zero), '0001-01-01 00:00:00 +0000 UTC');
    const offset = parseGoTime('2024-07-01T14:00:00.5+02:00');
    assert.equal(parseDockerFormat('{{.}} {{json .}}').execute(offset), '2024-07-01 14:00:00.5 +0200 +0200 "2024-07-01T14:00:00.5+02:00"');
    assert.equal(parseDockerFormat('{{printf "%s|%v" . .}}').execute(goTime(0)), '1970-01-01 00:00:00 +0000 UTC|1970-01-01 00:00:00 +0000 UTC');
  });
});

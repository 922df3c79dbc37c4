// The JS port of the datum conversions against the vectors of DOMAIN.md §7 and
// core/src/geo/datum.rs, and the same round-trip and out-of-China properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  outOfChina, wgs84ToGcj02, gcj02ToWgs84, gcj02ToBd09, bd09ToGcj02, wgs84ToBd09, bd09ToWgs84,
} from '../../src/datum.js';

function close(got, lat, lon) {
  assert.ok(Math.abs(got.lat - lat) < 1e-9 && Math.abs(got.lon - lon) < 1e-9,
    `got ${JSON.stringify(got)}, expected lat ${lat} lon ${lon}`);
}

// Great-circle distance in metres (the core's haversine_m, mean Earth radius).
function metres(a, b) {
  const r = 6371008.8;
  const rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad;
  const dlon = (b.lon - a.lon) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

test('WGS-84 to GCJ-02 matches the public test vector', () => {
  close(wgs84ToGcj02({ lat: 39.915, lon: 116.404 }), 39.91640428150164, 116.41024449916938);
});

test('GCJ-02 to BD-09 matches the public test vector', () => {
  close(gcj02ToBd09({ lat: 39.915, lon: 116.404 }), 39.92133699351022, 116.41036949371029);
});

test('WGS-84 to BD-09 composes both steps', () => {
  const p = { lat: 31.3, lon: 120.6 };
  assert.deepEqual(wgs84ToBd09(p), gcj02ToBd09(wgs84ToGcj02(p)));
});

test('the offset in K city is hundreds of metres', () => {
  const p = { lat: 31.3, lon: 120.6 };
  const shift = metres(p, wgs84ToGcj02(p));
  assert.ok(shift >= 100 && shift <= 700, `shift ${shift} m`);
});

test('no offset outside China', () => {
  for (const p of [
    { lat: 51.5007, lon: -0.1246 },
    { lat: -33.8568, lon: 151.2153 },
    { lat: 35.6586, lon: 139.7454 },
    { lat: 0.5, lon: 100.0 },
  ]) {
    assert.ok(outOfChina(p.lat, p.lon));
    assert.deepEqual(wgs84ToGcj02(p), p);
    assert.deepEqual(gcj02ToWgs84(p), p);
    assert.deepEqual(wgs84ToBd09(p), p);
    assert.deepEqual(bd09ToWgs84(p), p);
  }
  assert.ok(!outOfChina(31.3, 120.6));
  assert.ok(!outOfChina(39.915, 116.404));
});

test('non-finite input passes through', () => {
  assert.ok(outOfChina(NaN, 120));
  assert.ok(Number.isNaN(gcj02ToWgs84({ lat: NaN, lon: 120 }).lat));
});

test('inverses round-trip below a centimetre across China', () => {
  // A fixed pseudo-random sweep (xorshift), so a failure names a reproducible point.
  let s = 0x9e3779b9;
  const next = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < 2000; i++) {
    const p = { lat: 18 + next() * 35.5, lon: 73.5 + next() * 61.5 };
    const viaGcj = gcj02ToWgs84(wgs84ToGcj02(p));
    assert.ok(metres(p, viaGcj) < 0.01, `${JSON.stringify(p)} -> ${JSON.stringify(viaGcj)}`);
    const viaBd = bd09ToGcj02(gcj02ToBd09(p));
    assert.ok(metres(p, viaBd) < 0.01, `${JSON.stringify(p)} -> ${JSON.stringify(viaBd)}`);
    const viaBoth = bd09ToWgs84(wgs84ToBd09(p));
    assert.ok(metres(p, viaBoth) < 0.01, `${JSON.stringify(p)} -> ${JSON.stringify(viaBoth)}`);
  }
});

// Conversions between WGS-84, GCJ-02 and BD-09, ported from core/src/geo/datum.rs.
//
// gridwork stores WGS-84 (what the phones' GNSS gives) and converts only at the display
// edge: Chinese base maps draw in GCJ-02 (AMap, Tencent) or BD-09 (Baidu), offset from
// WGS-84 by roughly 100–700 m. The forward GCJ-02 transform is the public
// Krasovsky-ellipsoid formula; its inverse has no closed form and is solved by
// fixed-point iteration. Outside mainland China (the usual bounding rectangle) every
// conversion is the identity. Points are `{ lat, lon }` in degrees.

const KRASOVSKY_A = 6378245.0;
const KRASOVSKY_EE = 0.00669342162296594323;
const X_PI = (Math.PI * 3000.0) / 180.0;
const INVERSE_TOLERANCE_DEG = 1e-12;
const INVERSE_MAX_ITERATIONS = 30;

/** True when the point lies outside the rectangle used for mainland China (non-finite counts as outside). */
export function outOfChina(lat, lon) {
  return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
}

function transformLat(x, y) {
  let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320.0 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return ret;
}

function transformLon(x, y) {
  let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return ret;
}

function gcj02Offset({ lat, lon }) {
  const x = lon - 105.0;
  const y = lat - 35.0;
  const radLat = (lat * Math.PI) / 180.0;
  const magic = 1.0 - KRASOVSKY_EE * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  const dlat = (transformLat(x, y) * 180.0) / (((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * Math.PI);
  const dlon = (transformLon(x, y) * 180.0) / ((KRASOVSKY_A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return { dlat, dlon };
}

// Solves forward(x) = target, using that forward is the identity plus a small, slowly
// varying offset: x ← x − (forward(x) − target).
function invert(target, forward) {
  let x = { lat: target.lat, lon: target.lon };
  for (let i = 0; i < INVERSE_MAX_ITERATIONS; i++) {
    const image = forward(x);
    const dlat = image.lat - target.lat;
    const dlon = image.lon - target.lon;
    x = { lat: x.lat - dlat, lon: x.lon - dlon };
    if (Math.abs(dlat) < INVERSE_TOLERANCE_DEG && Math.abs(dlon) < INVERSE_TOLERANCE_DEG) break;
  }
  return x;
}

/** WGS-84 (GNSS) to GCJ-02 (AMap, Tencent). */
export function wgs84ToGcj02(p) {
  if (outOfChina(p.lat, p.lon)) return { lat: p.lat, lon: p.lon };
  const { dlat, dlon } = gcj02Offset(p);
  return { lat: p.lat + dlat, lon: p.lon + dlon };
}

/** GCJ-02 back to WGS-84 (iterated to below 1e-12°). */
export function gcj02ToWgs84(p) {
  if (outOfChina(p.lat, p.lon)) return { lat: p.lat, lon: p.lon };
  return invert(p, wgs84ToGcj02);
}

/** GCJ-02 to BD-09 (Baidu). */
export function gcj02ToBd09(p) {
  if (outOfChina(p.lat, p.lon)) return { lat: p.lat, lon: p.lon };
  const x = p.lon;
  const y = p.lat;
  const z = Math.sqrt(x * x + y * y) + 0.00002 * Math.sin(y * X_PI);
  const theta = Math.atan2(y, x) + 0.000003 * Math.cos(x * X_PI);
  return { lat: z * Math.sin(theta) + 0.006, lon: z * Math.cos(theta) + 0.0065 };
}

/** BD-09 back to GCJ-02 (iterated, so round trips agree below 1 cm). */
export function bd09ToGcj02(p) {
  if (outOfChina(p.lat, p.lon)) return { lat: p.lat, lon: p.lon };
  return invert(p, gcj02ToBd09);
}

/** WGS-84 to BD-09 (through GCJ-02). */
export function wgs84ToBd09(p) {
  return gcj02ToBd09(wgs84ToGcj02(p));
}

/** BD-09 to WGS-84 (through GCJ-02). */
export function bd09ToWgs84(p) {
  return gcj02ToWgs84(bd09ToGcj02(p));
}

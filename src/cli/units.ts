/** docker/go-units HumanSize: decimal units with 4 significant digits ("1.986MB"). */
export function humanSizePrecision(size: number, precision = 4): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let i = 0;
  let s = size;
  while (s >= 1000 && i < units.length - 1) {
    s /= 1000;
    i++;
  }
  return `${formatG(s, precision)}${units[i]}`;
}

/** Go's %.Ng formatting (shortest of %e/%f with N significant digits, trailing zeros dropped). */
function formatG(x: number, precision: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= precision) {
    const s = x.toExponential(precision - 1);
    const [m, e] = s.split('e');
    const mm = m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m!;
    const n = parseInt(e!, 10);
    return `${mm}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = x.toPrecision(precision);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

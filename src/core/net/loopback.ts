/**
 * The one rule for "is this address this machine": used to decide whether the extension may start
 * an adapter for an endpoint, whether an adapter's file paths are readable here, and how the status
 * bar describes where an adapter runs. Two copies of this check once disagreed (one refused
 * 127.0.0.2 and `localhost.`), so every caller goes through here.
 */

/** Host names and addresses that always mean this machine: localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost') return true;
  if (h === '[::1]' || h === '::1') return true;
  // IPv4-mapped IPv6 as the WHATWG URL parser writes it: [::ffff:7f00:1] is 127.0.0.1.
  if (/^\[?::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]?$/.test(h)) return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return !!m && m.slice(1).every((n) => Number(n) <= 255);
}

/** True when `url` parses and its host is a loopback name or address. */
export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHostname(new URL(url).hostname);
  } catch {
    return false;
  }
}

import autocannon from 'autocannon';

/** `connections` clients POSTing the JSON `body` to `url` for `seconds` (autocannon); its result. */
export function postLoad(url: string, body: string, connections: number, seconds: number) {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
}

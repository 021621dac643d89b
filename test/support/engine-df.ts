/** The engine's own `/system/df` answer (what `docker system df` prints, unrounded), read over its socket: the prune tests' judge. */
import { request } from 'node:http';

export function systemDf<T>(socket: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: '/system/df', method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`/system/df: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A throw-away PKI made with the openssl CLI (for the demo and tests; nothing is committed): a CA,
 * a server certificate for 127.0.0.1/localhost, an expired one, one for another host name, and an
 * unrelated CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  ca: string;
  caFile: string;
  key: string;
  cert: string;
  expiredCert: string;
  wrongNameCert: string;
  otherCa: string;
  otherCaFile: string;
}

export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const p = (f: string): string => join(dir, f);
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'pipe', timeout: 30000, cwd: dir });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  ossl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '3', '-subj', '/CN=omadm test CA', ...caExt);
  ossl('req', '-x509', ...ec, '-keyout', p('other-ca.key'), '-out', p('other-ca.pem'), '-days', '3', '-subj', '/CN=unrelated CA', ...caExt);
  ossl('req', ...ec, '-keyout', p('srv.key'), '-out', p('srv.csr'), '-subj', '/CN=127.0.0.1');
  // `openssl ca` lets us choose the validity dates (expired certificate)
  mkdirSync(p('db'), { recursive: true });
  writeFileSync(p('db/index.txt'), '');
  writeFileSync(p('db/serial'), '1000\n');
  const cnf = (san: string): string => `[ca]\ndefault_ca=d\n[d]\ndatabase=${p('db/index.txt')}\nserial=${p('db/serial')}\nnew_certs_dir=${p('db')}\n`
    + `certificate=${p('ca.pem')}\nprivate_key=${p('ca.key')}\ndefault_md=sha256\npolicy=pol\ncopy_extensions=none\nunique_subject=no\n`
    + `[pol]\ncommonName=supplied\n[ext]\nsubjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`;
  const sign = (out: string, san: string, dates: string[]): void => {
    const c = p(`${out}.cnf`);
    writeFileSync(c, cnf(san));
    ossl('ca', '-batch', '-config', c, '-extensions', 'ext', '-in', p('srv.csr'), '-out', p(out), ...dates);
  };
  sign('srv.pem', 'IP:127.0.0.1,DNS:localhost', ['-days', '3']);
  sign('expired.pem', 'IP:127.0.0.1,DNS:localhost', ['-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  sign('wrongname.pem', 'DNS:other.example', ['-days', '3']);
  return {
    dir, ca: readFileSync(p('ca.pem'), 'utf8'), caFile: p('ca.pem'), key: readFileSync(p('srv.key'), 'utf8'), cert: readFileSync(p('srv.pem'), 'utf8'),
    expiredCert: readFileSync(p('expired.pem'), 'utf8'), wrongNameCert: readFileSync(p('wrongname.pem'), 'utf8'),
    otherCa: readFileSync(p('other-ca.pem'), 'utf8'), otherCaFile: p('other-ca.pem'),
  };
}

/**
 * Real TLS in front of the Temporal dev server (which has none of its own): certificates made
 * with openssl (a CA, a server certificate for 127.0.0.1/localhost, a client CA with a client
 * certificate, and an unrelated CA to be wrong with), and Debian's nginx terminating TLS with
 * `grpc_pass` on two loopback ports: one server-verified TLS, one mutual TLS.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { canConnect, freePort } from '../../stack/ports.ts';
import { waitFor } from './wait.ts';

export interface Certificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCa: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here. */
  wrongCa: string;
}

const openssl = (cwd: string, args: string[]): void => {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
};

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  ]);
}

function signLeaf(dir: string, ca: string, name: string, extensions: string): void {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  ]);
}

export function makeCertificates(dir: string): Certificates {
  mkdirSync(dir, { recursive: true });
  makeCa(dir, 'ca');
  makeCa(dir, 'client-ca');
  makeCa(dir, 'wrong-ca');
  signLeaf(
    dir,
    'ca',
    'server',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  signLeaf(dir, 'client-ca', 'client', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCa: p('client-ca.pem'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    wrongCa: p('wrong-ca.pem'),
  };
}

export interface TlsProxy {
  /** 127.0.0.1:PORT, server-verified TLS. */
  tlsAddress: string;
  /** 127.0.0.1:PORT, mutual TLS (client certificate from client-ca required). */
  mtlsAddress: string;
  stop(): Promise<void>;
}

export async function startTlsProxy(dir: string, certs: Certificates, upstream: string): Promise<TlsProxy> {
  const tlsPort = await freePort();
  const mtlsPort = await freePort();
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const server = (port: number, mutual: boolean) => `
    server {
      listen 127.0.0.1:${port} ssl http2;
      ssl_certificate ${certs.serverCert};
      ssl_certificate_key ${certs.serverKey};
      ${mutual ? `ssl_client_certificate ${certs.clientCa};\n      ssl_verify_client on;` : ''}
      location / {
        grpc_pass grpc://${upstream};
        # Long polls of workers last about a minute.
        grpc_read_timeout 300s;
        grpc_send_timeout 300s;
      }
    }`;
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log off;
  client_max_body_size 0;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  ${server(tlsPort, false)}
  ${server(mtlsPort, true)}
}
`,
  );
  const nginx: ChildProcess = spawn('nginx', ['-c', conf, '-p', dir, '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  await waitFor(
    `nginx listening (see ${dir}/error.log)`,
    async () => ((await canConnect('127.0.0.1', tlsPort, 500)) && (await canConnect('127.0.0.1', mtlsPort, 500)) ? true : undefined),
    10_000,
  );
  return {
    tlsAddress: `127.0.0.1:${tlsPort}`,
    mtlsAddress: `127.0.0.1:${mtlsPort}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (nginx.exitCode !== null || nginx.signalCode !== null) return resolve();
        nginx.once('exit', () => resolve());
        // QUIT: graceful; its worker goes with it.
        nginx.kill('SIGQUIT');
        setTimeout(() => nginx.kill('SIGKILL'), 3000).unref();
      }),
  };
}

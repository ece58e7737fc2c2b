/**
 * The exact bytes of a ControllerRevision's `data`, as kube-apiserver stores them and as
 * kube-controller-manager reads them: fetched in protobuf form (kube-apiserver's JSON answer
 * compacts and re-escapes a RawExtension, so only protobuf shows what was written).
 */
import { request } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/** Reads one varint at `pos`; returns the value and the next position. */
function varint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('protobuf: truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

/** The length-delimited field `field` of a protobuf message (the first occurrence), or undefined. */
export function protoField(msg: Buffer, field: number): Buffer | undefined {
  let pos = 0;
  while (pos < msg.length) {
    const [key, p] = varint(msg, pos);
    pos = p;
    const wire = key & 7;
    const num = Math.floor(key / 8);
    if (wire === 0) [, pos] = varint(msg, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, start] = varint(msg, pos);
      if (num === field) return msg.subarray(start, start + len);
      pos = start + len;
    } else throw new Error(`protobuf: wire type ${wire} not expected`);
  }
  return undefined;
}

/**
 * The data bytes of a ControllerRevision from its protobuf envelope: the "k8s\0" magic, then
 * runtime.Unknown{raw = 2}, whose raw is the ControllerRevision{data = 2}, a
 * RawExtension{raw = 1}.
 */
export function revisionDataFromProtobuf(body: Buffer): Buffer {
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw new Error(`not a protobuf answer: ${body.subarray(0, 80).toString('utf8')}`);
  const raw = protoField(body.subarray(4), 2);
  const data = raw && protoField(raw, 2);
  const bytes = data && protoField(data, 1);
  if (!bytes) throw new Error('protobuf: the ControllerRevision has no data');
  return bytes;
}

/** GETs a ControllerRevision as protobuf with the kubeconfig's credentials; its data bytes. */
export async function rawRevisionData(
  kubeconfig: string,
  namespace: string,
  name: string,
): Promise<Buffer> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`${kubeconfig} has no current cluster`);
  const opts: import('node:https').RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const headers = { ...(opts.headers as Record<string, string>) };
  const url = new URL(
    `${server}/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/controllerrevisions/${encodeURIComponent(name)}`,
  );
  const body = await new Promise<Buffer>((resolve, reject) => {
    const req = request(
      url,
      {
        ...opts,
        method: 'GET',
        timeout: 10_000,
        headers: { ...headers, Accept: 'application/vnd.kubernetes.protobuf' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          if (res.statusCode !== 200)
            reject(new Error(`GET ${url.pathname}: ${res.statusCode} ${b.toString('utf8')}`));
          else resolve(b);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url.pathname}: no answer in 10s`)));
    req.on('error', reject);
    req.end();
  });
  return revisionDataFromProtobuf(body);
}

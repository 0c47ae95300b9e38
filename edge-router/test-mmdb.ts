/**
 * Writes a small MaxMind DB (format 2.0, IPv4 tree, 24-bit records) of the
 * City type, so tests can drive the real @maxmind/geoip2-node reader without
 * shipping a licensed database. Networks must not nest.
 */
export interface TestCityNetwork { cidr: string; country: string; lat: number; lon: number }

export function buildCityMmdb(networks: TestCityNetwork[]): Buffer {
  const data: Buffer[] = [];
  let dataSize = 0;
  const tree: number[][] = [[-1, -1]]; // child: node index >= 0, -1 empty, -(2 + dataOffset) data
  for (const net of networks) {
    const offset = dataSize;
    const record = encode({
      country: { iso_code: net.country, names: { en: net.country } },
      location: { latitude: net.lat, longitude: net.lon, accuracy_radius: 100 },
    });
    data.push(record);
    dataSize += record.length;
    const [address, prefix] = net.cidr.split('/') as [string, string];
    const bits = address.split('.').reduce((n, octet) => (n << 8n) | BigInt(octet), 0n);
    let node = 0;
    for (let i = 0; i < Number(prefix); i++) {
      const bit = Number((bits >> BigInt(31 - i)) & 1n);
      if (i === Number(prefix) - 1) tree[node]![bit] = -(2 + offset);
      else {
        if (tree[node]![bit]! < 0) tree[node]![bit] = tree.push([-1, -1]) - 1;
        node = tree[node]![bit]!;
      }
    }
  }
  const nodeCount = tree.length;
  const treeBytes = Buffer.alloc(nodeCount * 6);
  tree.forEach(([left, right], i) => {
    for (const [j, child] of [left!, right!].entries()) {
      const value = child >= 0 ? child : child === -1 ? nodeCount : nodeCount + 16 + (-child - 2);
      treeBytes.writeUIntBE(value, i * 6 + j * 3, 3);
    }
  });
  const metadata = encode({
    node_count: { u32: nodeCount }, record_size: { u16: 24 }, ip_version: { u16: 4 },
    database_type: 'Visitwire-Test-City', languages: ['en'],
    binary_format_major_version: { u16: 2 }, binary_format_minor_version: { u16: 0 },
    build_epoch: { u64: BigInt(Math.floor(Date.now() / 1000)) }, description: { en: 'visitwire test data' },
  });
  return Buffer.concat([treeBytes, Buffer.alloc(16), ...data, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata]);
}

type Value = string | number | Value[] | { u16: number } | { u32: number } | { u64: bigint } | { [key: string]: Value };

function control(type: number, size: number): Buffer {
  return type <= 7 ? Buffer.from([(type << 5) | size]) : Buffer.from([size, type - 7]);
}

function unsigned(type: number, value: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') return Buffer.concat([control(2, Buffer.byteLength(value)), Buffer.from(value)]);
  if (typeof value === 'number') {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([control(3, 8), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  if ('u16' in value && typeof value.u16 === 'number') return unsigned(5, BigInt(value.u16));
  if ('u32' in value && typeof value.u32 === 'number') return unsigned(6, BigInt(value.u32));
  if ('u64' in value && typeof value.u64 === 'bigint') return unsigned(9, value.u64);
  const entries = Object.entries(value as Record<string, Value>);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

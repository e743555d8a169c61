import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { ipv4Of, ipv4Range, ipv6Range } from '../../../src/domain/entity/address.js';

/** ipaddr.js's own answer, in SCOT's words. */
const rangeByIpaddr = (address: ipaddr.IPv4 | ipaddr.IPv6) => (address.range() === 'unicast' ? 'public' : address.range());

/** Addresses inside every block of ipaddr.js's table, and at its edges, besides random ones. */
const EDGES = [
  '0.0.0.0',
  '0.255.255.255',
  '1.0.0.0',
  '10.0.0.0',
  '10.255.255.255',
  '11.0.0.0',
  '100.63.255.255',
  '100.64.0.0',
  '100.127.255.255',
  '100.128.0.0',
  '127.0.0.1',
  '169.254.0.1',
  '172.15.255.255',
  '172.16.0.0',
  '172.31.255.255',
  '172.32.0.0',
  '192.0.0.1',
  '192.0.2.1',
  '192.88.99.1',
  '192.168.1.1',
  '192.175.48.1',
  '198.18.0.1',
  '198.19.255.255',
  '198.20.0.0',
  '198.51.100.1',
  '203.0.113.1',
  '224.0.0.1',
  '239.255.255.255',
  '240.0.0.1',
  '255.255.255.254',
  '255.255.255.255',
];
const EDGES_V6 = [
  '::',
  '::1',
  '::2',
  'fe80::1',
  'febf::1',
  'fec0::1',
  'ff02::1',
  'fc00::1',
  'fdff::1',
  '::ffff:1.2.3.4',
  '::ffff:0:1.2.3.4',
  '100::1',
  '64:ff9b::1.2.3.4',
  '64:ff9b:1::1',
  '2002::1',
  '2001::1',
  '2001:2::1',
  '2001:3::1',
  '2001:4:112::1',
  '2620:4f:8000::1',
  '2001:10::1',
  '2001:20::1',
  '2001:30::1',
  '2001:db8::1',
  '2001:1ff::1',
  '2001:200::1',
  '2606:4700::1111',
];

describe('IP addresses', () => {
  it('classifies IPv4 addresses as ipaddr.js does, at the edges of every range and at random', () => {
    for (const written of EDGES) assert.equal(ipv4Range(ipv4Of(written)), rangeByIpaddr(ipaddr.IPv4.parse(written)), written);
    fc.assert(
      fc.property(fc.ipV4(), (written) => ipv4Range(ipv4Of(written)) === rangeByIpaddr(ipaddr.IPv4.parse(written))),
      { numRuns: 5000 },
    );
  });

  it('classifies IPv6 addresses as ipaddr.js does, at the edges of every range and at random', () => {
    for (const written of EDGES_V6) {
      const address = ipaddr.IPv6.parse(written);
      assert.equal(ipv6Range(address), rangeByIpaddr(address), written);
    }
    fc.assert(
      fc.property(fc.ipV6(), (written) => {
        const address = ipaddr.IPv6.parse(written);
        return ipv6Range(address) === rangeByIpaddr(address);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads four decimal octets without leading zeros as an IPv4 address, and nothing else', () => {
    assert.equal(ipv4Of('1.2.3.4'), 0x01020304);
    assert.equal(ipv4Of('255.255.255.255'), 0xffffffff);
    assert.equal(ipv4Of('0.0.0.0'), 0);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.',
      '.1.2.3',
      '1..2.3',
      '01.2.3.4',
      '1.2.3.256',
      '1.2.3.1000',
      '1.2.3.4a',
      'a.b.c.d',
      '1.2.3.-4',
    ]) {
      assert.equal(ipv4Of(bad), -1, bad);
    }
    fc.assert(
      fc.property(
        fc.ipV4(),
        (written) =>
          ipv4Of(written) ===
          ipaddr.IPv4.parse(written)
            .toByteArray()
            .reduce((n, b) => n * 256 + b, 0),
      ),
    );
  });
});

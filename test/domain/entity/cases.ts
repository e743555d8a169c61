/**
 * The labelled entity cases: `[text, the entities in it as [type, value]]`. The tests check the extractor against
 * every one; `bench/extract.ts` measures precision and recall of ours and ioc-extractor's on the same table.
 */

/** One labelled case: a text and every entity an analyst expects from it (a URL's domain included). */
export type LabelledCase = [text: string, expected: [type: string, value: string][]];

/** Plain-text cases: positive, negative and defanged, across every type. */
export const TEXT_CASES: LabelledCase[] = [
  // ipaddr
  ['connection from 8.8.8.8 refused', [['ipaddr', '8.8.8.8']]],
  [
    'src=10.1.2.3 dst=192.168.0.1',
    [
      ['ipaddr', '10.1.2.3'],
      ['ipaddr', '192.168.0.1'],
    ],
  ],
  ['127.0.0.1', [['ipaddr', '127.0.0.1']]],
  ['host 203.0.113.7:8443 answered', [['ipaddr', '203.0.113.7']]],
  ['(172.16.5.4)', [['ipaddr', '172.16.5.4']]],
  ['"100.64.1.1",', [['ipaddr', '100.64.1.1']]],
  ['ip: 1.1.1.1.', [['ipaddr', '1.1.1.1']]],
  ['255.255.255.255 is broadcast', [['ipaddr', '255.255.255.255']]],
  ['0.0.0.0', [['ipaddr', '0.0.0.0']]],
  ['a,b,45.33.32.156,c', [['ipaddr', '45.33.32.156']]],
  ['IP=185.220.101.4;', [['ipaddr', '185.220.101.4']]],
  ['[2] 91.198.174.192 wiki', [['ipaddr', '91.198.174.192']]],
  ['1.2.3.4.5', []],
  ['999.1.1.1', []],
  ['256.256.256.256', []],
  ['version 1.2.3.4', []],
  ['upgraded to version 10.0.19041.1', []],
  ['firmware 2.1.0.3 installed', []],
  ['v1.2.3.4', []],
  ['release 4.4.0.1 notes', []],
  ['1.2.3', []],
  ['1.2', []],
  ['01.02.03.04', []],
  ['1.2.3.4a', []],
  ['pi is 3.14159', []],
  // defanged ipaddr
  ['1.2.3[.]4', [['ipaddr', '1.2.3.4']]],
  ['1.2.3(.)4', [['ipaddr', '1.2.3.4']]],
  ['1.2.3{.}4', [['ipaddr', '1.2.3.4']]],
  ['10[.]1[.]2[.]3', [['ipaddr', '10.1.2.3']]],
  ['10.1.2[dot]3', [['ipaddr', '10.1.2.3']]],
  ['C2 at 45.9.148[.]108 today', [['ipaddr', '45.9.148.108']]],
  ['8.8.8(dot)8', [['ipaddr', '8.8.8.8']]],
  ['999[.]1[.]1[.]1', []],
  // ipv6
  ['fe80::1', [['ipv6', 'fe80::1']]],
  ['::1', [['ipv6', '::1']]],
  ['2001:db8::1 answered', [['ipv6', '2001:db8::1']]],
  ['2001:DB8:0:0:0:0:0:1', [['ipv6', '2001:db8::1']]],
  ['2001:0db8:0000:0000:0000:ff00:0042:8329', [['ipv6', '2001:db8::ff00:42:8329']]],
  ['addr 2606:4700:4700::1111.', [['ipv6', '2606:4700:4700::1111']]],
  ['::ffff:192.0.2.128', [['ipv6', '::ffff:192.0.2.128']]],
  ['(2a00:1450:4001:82a::200e)', [['ipv6', '2a00:1450:4001:82a::200e']]],
  ['fd12:3456:789a:1::1', [['ipv6', 'fd12:3456:789a:1::1']]],
  ['std::vector<int>', []],
  ['at 12:30:45 today', []],
  ['mac 00:1a:2b:3c:4d:5e', []],
  ['1:2:3:4:5:6:7:8:9', []],
  ['Foo::Bar::baz()', []],
  ['2001:db8::g1', []],
  // cidr
  ['block 10.0.0.0/8 now', [['cidr', '10.0.0.0/8']]],
  ['192.168.1.0/24,', [['cidr', '192.168.1.0/24']]],
  ['203.0.113.0/24', [['cidr', '203.0.113.0/24']]],
  ['2001:db8::/32', [['cidr', '2001:db8::/32']]],
  ['fe80::/10', [['cidr', 'fe80::/10']]],
  ['10.0.0[.]0/16', [['cidr', '10.0.0.0/16']]],
  ['10.0.0.0/33', [['ipaddr', '10.0.0.0']]],
  // domain
  ['evil.com', [['domain', 'evil.com']]],
  ['resolve www.Example.ORG please', [['domain', 'www.example.org']]],
  ['evil.co.uk', [['domain', 'evil.co.uk']]],
  ['xn--80ak6aa92e.com', [['domain', 'xn--80ak6aa92e.com']]],
  ['login.microsoftonline.com.', [['domain', 'login.microsoftonline.com']]],
  ['a-b.c-d.example.net', [['domain', 'a-b.c-d.example.net']]],
  [
    'badguy.ru,badguy.cn',
    [
      ['domain', 'badguy.ru'],
      ['domain', 'badguy.cn'],
    ],
  ],
  ['sub.domain.example.com.au', [['domain', 'sub.domain.example.com.au']]],
  ['beacon to cdn-77.top every minute', [['domain', 'cdn-77.top']]],
  ['(update.microsoft.com)', [['domain', 'update.microsoft.com']]],
  ['"api.telegram.org"', [['domain', 'api.telegram.org']]],
  ['EVIL.COM', [['domain', 'evil.com']]],
  ['mail.google.com:443', [['domain', 'mail.google.com']]],
  ['c2.evil.xyz/24', [['domain', 'c2.evil.xyz']]],
  ['report.pdf', [['file', 'report.pdf']]],
  ['config.json', [['file', 'config.json']]],
  ['version 1.2.3', []],
  ['foo.local', []],
  ['server.internal', []],
  ['e.g. this', []],
  ['i.e. that', []],
  ['U.S. based', []],
  ['co.uk', []],
  ['com', []],
  ['foo.bar123', []],
  ['end of sentence.Next one', []],
  ['..com', []],
  // defanged domain
  ['evil[.]com', [['domain', 'evil.com']]],
  ['evil[dot]com', [['domain', 'evil.com']]],
  ['evil(.)com', [['domain', 'evil.com']]],
  ['evil{.}com', [['domain', 'evil.com']]],
  ['evil(dot)com', [['domain', 'evil.com']]],
  ['evil [.] com', [['domain', 'evil.com']]],
  ['evil [dot] com', [['domain', 'evil.com']]],
  ['www[.]evil[.]co[.]uk', [['domain', 'www.evil.co.uk']]],
  ['Evil[DOT]COM', [['domain', 'evil.com']]],
  ['report[.]pdf', [['file', 'report.pdf']]],
  // email
  [
    'mail bob@evil.com now',
    [
      ['email', 'bob@evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'Alice.Smith+tag@Example.CO.UK',
    [
      ['email', 'alice.smith+tag@example.co.uk'],
      ['domain', 'example.co.uk'],
    ],
  ],
  [
    'From: Bob <bob@evil.com>',
    [
      ['email', 'bob@evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'first_last@mail.example.org,',
    [
      ['email', 'first_last@mail.example.org'],
      ['domain', 'mail.example.org'],
    ],
  ],
  [
    'x@y.io',
    [
      ['email', 'x@y.io'],
      ['domain', 'y.io'],
    ],
  ],
  ['root@localhost', []],
  ['admin@server.internal', []],
  ['@evil', []],
  ['user@', []],
  ['a@b', []],
  [
    'user[@]example[.]com',
    [
      ['email', 'user@example.com'],
      ['domain', 'example.com'],
    ],
  ],
  [
    'user(at)example.com',
    [
      ['email', 'user@example.com'],
      ['domain', 'example.com'],
    ],
  ],
  [
    'user [at] example [dot] com',
    [
      ['email', 'user@example.com'],
      ['domain', 'example.com'],
    ],
  ],
  [
    'user[at]example.com',
    [
      ['email', 'user@example.com'],
      ['domain', 'example.com'],
    ],
  ],
  [
    'user{at}evil.org',
    [
      ['email', 'user@evil.org'],
      ['domain', 'evil.org'],
    ],
  ],
  [
    'phish(@)bank-secure.net',
    [
      ['email', 'phish@bank-secure.net'],
      ['domain', 'bank-secure.net'],
    ],
  ],
  // url
  [
    'http://evil.com/payload.exe',
    [
      ['url', 'http://evil.com/payload.exe'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'see https://Bad.Example.com/a?b=1&c=2.',
    [
      ['url', 'https://bad.example.com/a?b=1&c=2'],
      ['domain', 'bad.example.com'],
    ],
  ],
  [
    '(http://1.2.3.4:8080/x)',
    [
      ['url', 'http://1.2.3.4:8080/x'],
      ['ipaddr', '1.2.3.4'],
    ],
  ],
  [
    'ftp://files.example.net/pub',
    [
      ['url', 'ftp://files.example.net/pub'],
      ['domain', 'files.example.net'],
    ],
  ],
  [
    'HTTPS://EVIL.COM',
    [
      ['url', 'https://evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'https://en.wikipedia.org/wiki/Foo_(bar)',
    [
      ['url', 'https://en.wikipedia.org/wiki/Foo_(bar)'],
      ['domain', 'en.wikipedia.org'],
    ],
  ],
  [
    '"https://evil.com/x",',
    [
      ['url', 'https://evil.com/x'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'http://user:pw@evil.com/login',
    [
      ['url', 'http://user:pw@evil.com/login'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'https://evil.com/path#frag',
    [
      ['url', 'https://evil.com/path#frag'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'https://evil.com/?q=a%20b',
    [
      ['url', 'https://evil.com/?q=a%20b'],
      ['domain', 'evil.com'],
    ],
  ],
  ['http://localhost:3000/', [['url', 'http://localhost:3000/']]],
  ['http://', []],
  ['http:// evil', []],
  [
    'hxxp://evil.com/x',
    [
      ['url', 'http://evil.com/x'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'hxxps://evil.com',
    [
      ['url', 'https://evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'hxxps[:]//evil[.]com/a',
    [
      ['url', 'https://evil.com/a'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'hXXp://10.0.0[.]5/s.ps1',
    [
      ['url', 'http://10.0.0.5/s.ps1'],
      ['ipaddr', '10.0.0.5'],
    ],
  ],
  [
    'https[:]//evil.com',
    [
      ['url', 'https://evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'http[://]evil.com/x',
    [
      ['url', 'http://evil.com/x'],
      ['domain', 'evil.com'],
    ],
  ],
  // hashes
  ['md5 d41d8cd98f00b204e9800998ecf8427e', [['md5', 'd41d8cd98f00b204e9800998ecf8427e']]],
  ['D41D8CD98F00B204E9800998ECF8427E', [['md5', 'd41d8cd98f00b204e9800998ecf8427e']]],
  ['sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709.', [['sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709']]],
  [
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    [['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']],
  ],
  [
    'hash=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855;',
    [['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']],
  ],
  [
    'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
    [
      [
        'sha512',
        'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
      ],
    ],
  ],
  ['"d41d8cd98f00b204e9800998ecf8427e"', [['md5', 'd41d8cd98f00b204e9800998ecf8427e']]],
  ['(da39a3ee5e6b4b0d3255bfef95601890afd80709)', [['sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709']]],
  ['d41d8cd98f00b204e9800998ecf8427', []],
  ['d41d8cd98f00b204e9800998ecf8427e0', []],
  ['g41d8cd98f00b204e9800998ecf8427e', []],
  ['d41d8cd98f00b204e9800998ecf8427ez', []],
  ['deadbeef', []],
  ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85', []],
  [
    'md5:d41d8cd98f00b204e9800998ecf8427e sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709',
    [
      ['md5', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ],
  ],
  // jarm_hash
  [
    'jarm 07d14d16d21d21d07c42d41d00041d24a458a375eef0c576d23a7bab9a9fb1',
    [['jarm_hash', '07d14d16d21d21d07c42d41d00041d24a458a375eef0c576d23a7bab9a9fb1']],
  ],
  [
    '2AD2AD0002AD2AD00042D42D000000AD9BF51CC3F5A1E29EECB81D0C7B06EB',
    [['jarm_hash', '2ad2ad0002ad2ad00042d42d000000ad9bf51cc3f5a1e29eecb81d0c7b06eb']],
  ],
  // message_id
  ['Message-ID: <CAF=abc123@mail.gmail.com>', [['message_id', '<CAF=abc123@mail.gmail.com>']]],
  ['message-id:<20240101.1234@evil.com>', [['message_id', '<20240101.1234@evil.com>']]],
  ['In-Reply-To: <a1b2@host.example.org>', [['message_id', '<a1b2@host.example.org>']]],
  [
    'References: <one@x.example.com> <two@y.example.com>',
    [
      ['message_id', '<one@x.example.com>'],
      ['message_id', '<two@y.example.com>'],
    ],
  ],
  [
    'To: <bob@evil.com>',
    [
      ['email', 'bob@evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  ['Message-ID: <no-at-sign>', []],
  // file
  ['dropped invoice.exe in temp', [['file', 'invoice.exe']]],
  ['C:\\Users\\bob\\AppData\\evil.dll', [['file', 'evil.dll']]],
  ['/tmp/x.sh', [['file', 'x.sh']]],
  ['macro in Q3_report.docm', [['file', 'Q3_report.docm']]],
  ['payload.ps1,', [['file', 'payload.ps1']]],
  ['archive.tar.gz', [['file', 'archive.tar.gz']]],
  ['svchost.exe', [['file', 'svchost.exe']]],
  ['invoice.zip', [['file', 'invoice.zip']]],
  ['stage2.js', [['file', 'stage2.js']]],
  ['file.unknownext', []],
  ['.exe', []],
  ['exe', []],
  // cve
  ['CVE-2021-44228', [['cve', 'CVE-2021-44228']]],
  ['patched cve-2017-0144.', [['cve', 'CVE-2017-0144']]],
  ['(CVE-2023-1234567)', [['cve', 'CVE-2023-1234567']]],
  ['CVE-2021-123', []],
  ['CVE-21-44228', []],
  ['XCVE-2021-44228', []],
  // uuid1
  ['6ba7b810-9dad-11d1-80b4-00c04fd430c8', [['uuid1', '6ba7b810-9dad-11d1-80b4-00c04fd430c8']]],
  ['id C232AB00-9414-11EC-B3C8-9F6BDECED846 seen', [['uuid1', 'c232ab00-9414-11ec-b3c8-9f6bdeced846']]],
  ['f47ac10b-58cc-4372-a567-0e02b2c3d479', []],
  ['6ba7b810-9dad-11d1-80b4-00c04fd430c', []],
  // clsid
  ['{21EC2020-3AEA-1069-A2DD-08002B30309D}', [['clsid', '{21EC2020-3AEA-1069-A2DD-08002B30309D}']]],
  ['CLSID {d27cdb6e-ae6d-11cf-96b8-444553540000} loaded', [['clsid', '{D27CDB6E-AE6D-11CF-96B8-444553540000}']]],
  ['{not-a-clsid}', []],
  // winregistry
  [
    'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
    [['winregistry', 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run']],
  ],
  [
    'key HKEY_CURRENT_USER\\Software\\Classes\\ms-settings\\shell\\open\\command.',
    [['winregistry', 'HKEY_CURRENT_USER\\Software\\Classes\\ms-settings\\shell\\open\\command']],
  ],
  ['HKCU\\Environment', [['winregistry', 'HKCU\\Environment']]],
  [
    'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon',
    [['winregistry', 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon']],
  ],
  ['HKLM is a hive', []],
  ['HKLMX\\foo', []],
  // more network indicators, in the places alerts put them
  [
    'src_ip=198.51.100.23 dst_ip=10.10.10.10',
    [
      ['ipaddr', '198.51.100.23'],
      ['ipaddr', '10.10.10.10'],
    ],
  ],
  ['{"ip":"203.0.113.99"}', [['ipaddr', '203.0.113.99']]],
  ['<1.2.3.4>', [['ipaddr', '1.2.3.4']]],
  ['x=1.2.3.4&y=2', [['ipaddr', '1.2.3.4']]],
  ['|8.8.4.4|', [['ipaddr', '8.8.4.4']]],
  ["'9.9.9.9'", [['ipaddr', '9.9.9.9']]],
  ['169.254.169.254 metadata', [['ipaddr', '169.254.169.254']]],
  ['224.0.0.251 mdns', [['ipaddr', '224.0.0.251']]],
  ['1.2.3.04', []],
  ['10.0.0.256', []],
  ['1..2.3.4', []],
  ['3.4.5.6.7.8.9', []],
  ['build 19041.1.2.3', []],
  ['ver 5.0.0.1', []],
  ['domain=login.live.com', [['domain', 'login.live.com']]],
  ['{"host":"cdn.evil.net"}', [['domain', 'cdn.evil.net']]],
  [
    'evil.com;bad.net|worse.org',
    [
      ['domain', 'evil.com'],
      ['domain', 'bad.net'],
      ['domain', 'worse.org'],
    ],
  ],
  ['the site example.museum is old', [['domain', 'example.museum']]],
  ['pastebin.com/raw/abc', [['domain', 'pastebin.com']]],
  ['a.b.c.d.e.f.example.com', [['domain', 'a.b.c.d.e.f.example.com']]],
  ['_dmarc.example.com', [['domain', '_dmarc.example.com']]],
  ['my-site.github.io', [['domain', 'my-site.github.io']]],
  ['evil.onion', [['domain', 'evil.onion']]],
  ['example.invalid', []],
  ['foo.bar', [['domain', 'foo.bar']]],
  ['readme.md', [['domain', 'readme.md']]],
  ['object.property.method()', []],
  ['window.location.href', []],
  ['console.log(x)', [['file', 'console.log']]],
  ['self.assertEqual', []],
  ['ssh root@203.0.113.5', []],
  [
    'first.last@sub.example.com.br',
    [
      ['email', 'first.last@sub.example.com.br'],
      ['domain', 'sub.example.com.br'],
    ],
  ],
  [
    'mailto:help@corp.example.com',
    [
      ['email', 'help@corp.example.com'],
      ['domain', 'corp.example.com'],
    ],
  ],
  [
    '<help@corp.example.com>',
    [
      ['email', 'help@corp.example.com'],
      ['domain', 'corp.example.com'],
    ],
  ],
  [
    '"Bob" <BOB@EVIL.COM>',
    [
      ['email', 'bob@evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'https://evil.com:8443/x',
    [
      ['url', 'https://evil.com:8443/x'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'http://203.0.113.5/',
    [
      ['url', 'http://203.0.113.5/'],
      ['ipaddr', '203.0.113.5'],
    ],
  ],
  [
    'sftp://drop.evil.org/up',
    [
      ['url', 'sftp://drop.evil.org/up'],
      ['domain', 'drop.evil.org'],
    ],
  ],
  [
    'url: https://t.co/abc123!',
    [
      ['url', 'https://t.co/abc123'],
      ['domain', 't.co'],
    ],
  ],
  [
    '<https://evil.com/a>',
    [
      ['url', 'https://evil.com/a'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    "'http://evil.com/q?x=1'",
    [
      ['url', 'http://evil.com/q?x=1'],
      ['domain', 'evil.com'],
    ],
  ],
  ['https://intranet/wiki', [['url', 'https://intranet/wiki']]],
  [
    'hxxp://evil[.]com:8080/gate.php',
    [
      ['url', 'http://evil.com:8080/gate.php'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'hxxps://1.2.3[.]4/x',
    [
      ['url', 'https://1.2.3.4/x'],
      ['ipaddr', '1.2.3.4'],
    ],
  ],
  ['C2: 185[.]220[.]101[.]4:443', [['ipaddr', '185.220.101.4']]],
  [
    'admin[@]corp[.]example[.]com',
    [
      ['email', 'admin@corp.example.com'],
      ['domain', 'corp.example.com'],
    ],
  ],
  ['bad(dot)example(dot)org', [['domain', 'bad.example.org']]],
  ['evil[.]co[.]uk', [['domain', 'evil.co.uk']]],
  ['2001:db8::1/129', []],
  ['2001:db8:85a3::8a2e:370:7334', [['ipv6', '2001:db8:85a3::8a2e:370:7334']]],
  ['FE80:0000:0000:0000:0202:B3FF:FE1E:8329', [['ipv6', 'fe80::202:b3ff:fe1e:8329']]],
  ['ip6 ::', []],
  ['cafe::', []],
  ['a::b', []],
  ['2001:db8:0:0:1:0:0:1', [['ipv6', '2001:db8::1:0:0:1']]],
  // more hashes, files and host artefacts
  [
    'SHA256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08',
    [['sha256', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']],
  ],
  ['a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 test', [['sha1', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3']]],
  [
    '098f6bcd4621d373cade4e832627b4f6,ad0234829205b9033196ba818f7a872b',
    [
      ['md5', '098f6bcd4621d373cade4e832627b4f6'],
      ['md5', 'ad0234829205b9033196ba818f7a872b'],
    ],
  ],
  ['098f6bcd4621d373cade4e832627b4f6.exe', [['file', '098f6bcd4621d373cade4e832627b4f6.exe']]],
  ['0x098f6bcd4621d373cade4e832627b4f6', []],
  ['commit 3f786850e387550fdab836ed7e6dc881de23001b', [['sha1', '3f786850e387550fdab836ed7e6dc881de23001b']]],
  ['12345678901234567890123456789012345', []],
  ['Invoice_2024-03.PDF', [['file', 'Invoice_2024-03.PDF']]],
  [
    'setup.msi and update.bat',
    [
      ['file', 'setup.msi'],
      ['file', 'update.bat'],
    ],
  ],
  ['%TEMP%\\a.vbs', [['file', 'a.vbs']]],
  ['libc.so', [['file', 'libc.so']]],
  ['CVE-2024-3094 (xz)', [['cve', 'CVE-2024-3094']]],
  ['cve_2021_44228', []],
  [
    'HKCR\\CLSID\\{21EC2020-3AEA-1069-A2DD-08002B30309D}',
    [['winregistry', 'HKCR\\CLSID\\{21EC2020-3AEA-1069-A2DD-08002B30309D}']],
  ],
  ['HKU\\S-1-5-21\\Software', [['winregistry', 'HKU\\S-1-5-21\\Software']]],
  // prose and mixed
  ['The quick brown fox jumps over the lazy dog.', []],
  ['Meeting at 10.30 on 2024.01.05 in room 3.2', []],
  ['Price is $1.50, or 1,000.00 total.', []],
  ['See section 4.2.1 of the manual', []],
  [
    'node.js and vue.js',
    [
      ['file', 'node.js'],
      ['file', 'vue.js'],
    ],
  ],
  ['', []],
  ['   ', []],
  [
    'Alert: host 10.0.0.5 contacted evil[.]com (45.9.148[.]108) and dropped svchost.exe md5 d41d8cd98f00b204e9800998ecf8427e',
    [
      ['ipaddr', '10.0.0.5'],
      ['domain', 'evil.com'],
      ['ipaddr', '45.9.148.108'],
      ['file', 'svchost.exe'],
      ['md5', 'd41d8cd98f00b204e9800998ecf8427e'],
    ],
  ],
  [
    'phish from billing@paypa1-secure.com linking hxxps://paypa1-secure[.]com/login',
    [
      ['email', 'billing@paypa1-secure.com'],
      ['domain', 'paypa1-secure.com'],
      ['url', 'https://paypa1-secure.com/login'],
      ['domain', 'paypa1-secure.com'],
    ],
  ],
  [
    'exploit CVE-2021-44228 from 2001:db8::5 to 10.2.3.4/32',
    [
      ['cve', 'CVE-2021-44228'],
      ['ipv6', '2001:db8::5'],
      ['cidr', '10.2.3.4/32'],
    ],
  ],
  [
    'tab\t1.2.3.4\tevil.com\tbob@evil.org',
    [
      ['ipaddr', '1.2.3.4'],
      ['domain', 'evil.com'],
      ['email', 'bob@evil.org'],
      ['domain', 'evil.org'],
    ],
  ],
  [
    'line1 1.2.3.4\nline2 evil.com\r\nline3',
    [
      ['ipaddr', '1.2.3.4'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    'ünïcödé evil.com 🙂 1.2.3.4',
    [
      ['domain', 'evil.com'],
      ['ipaddr', '1.2.3.4'],
    ],
  ],
];

/** HTML cases: entities in the shown text of an entry or alert cell, markup and references in the way. */
export const HTML_CASES: LabelledCase[] = [
  ['<p>1.2.3.4</p>', [['ipaddr', '1.2.3.4']]],
  ['<p>1.2.<b>3</b>.4</p>', [['ipaddr', '1.2.3.4']]],
  ['<p>evil<wbr>.com</p>', [['domain', 'evil.com']]],
  ['<p><i>evil</i>.com</p>', [['domain', 'evil.com']]],
  ['<span>evil</span><span>[.]com</span>', [['domain', 'evil.com']]],
  ['<p>evil&#46;com</p>', [['domain', 'evil.com']]],
  ['<p>evil&#x2e;com</p>', [['domain', 'evil.com']]],
  ['<p>evil&period;com</p>', [['domain', 'evil.com']]],
  [
    '<p>bob&#64;evil.com</p>',
    [
      ['email', 'bob@evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    '<p>1.2.3.4</p><p>5.6.7.8</p>',
    [
      ['ipaddr', '1.2.3.4'],
      ['ipaddr', '5.6.7.8'],
    ],
  ],
  [
    '<td>1.2.3.4</td><td>evil.com</td>',
    [
      ['ipaddr', '1.2.3.4'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    '<li>evil.com</li><li>bad.org</li>',
    [
      ['domain', 'evil.com'],
      ['domain', 'bad.org'],
    ],
  ],
  [
    '1.2.3.4<br>5.6.7.8',
    [
      ['ipaddr', '1.2.3.4'],
      ['ipaddr', '5.6.7.8'],
    ],
  ],
  ['evil<br>.com', []],
  ['<div>evil</div><div>.com</div>', []],
  ['<a href="http://hidden.example.com/">click here</a>', []],
  [
    '<a href="http://evil.com/x">http://evil.com/x</a>',
    [
      ['url', 'http://evil.com/x'],
      ['domain', 'evil.com'],
    ],
  ],
  ['<img src="http://img.example.com/a.png" alt="x">', []],
  ['<p title="1.2.3.4">text</p>', []],
  ['<!-- 1.2.3.4 --><p>clean</p>', []],
  ['<script>var a = "1.2.3.4";</script><p>ok</p>', []],
  ['<style>.a { color: red }</style>evil.com', [['domain', 'evil.com']]],
  [
    '<p>hxxp://evil[.]com/a</p>',
    [
      ['url', 'http://evil.com/a'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    '<p>hxxp://<b>evil</b>[.]com/a</p>',
    [
      ['url', 'http://evil.com/a'],
      ['domain', 'evil.com'],
    ],
  ],
  [
    '<p>&lt;CAF1@mail.example.com&gt;</p>',
    [
      ['email', 'caf1@mail.example.com'],
      ['domain', 'mail.example.com'],
    ],
  ],
  ['<p>Message-ID: &lt;CAF1@mail.example.com&gt;</p>', [['message_id', '<CAF1@mail.example.com>']]],
  ['<p>d41d8cd98f00b204e9800998ecf8427e</p>', [['md5', 'd41d8cd98f00b204e9800998ecf8427e']]],
  ['<p>d41d8cd98f00<b>b204e9800998ecf8427e</b></p>', [['md5', 'd41d8cd98f00b204e9800998ecf8427e']]],
  ['<p>d41d8cd98f00</p><p>b204e9800998ecf8427e</p>', []],
  ['<code>HKLM\\Software\\Run</code>', [['winregistry', 'HKLM\\Software\\Run']]],
  ['<p>CVE-2021-<em>44228</em></p>', [['cve', 'CVE-2021-44228']]],
  [
    '<table><tr><td>src</td><td>10.0.0.1</td></tr><tr><td>dst</td><td>8.8.8.8</td></tr></table>',
    [
      ['ipaddr', '10.0.0.1'],
      ['ipaddr', '8.8.8.8'],
    ],
  ],
  ['<p>fe80::<b>1</b></p>', [['ipv6', 'fe80::1']]],
  [
    '<p>user&#91;at&#93;evil.com</p>',
    [
      ['email', 'user@evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  ['<p>evil&amp;com</p>', []],
  ['<p>AT&amp;T and 1.2.3.4</p>', [['ipaddr', '1.2.3.4']]],
  ['<p>a &lt; b &gt; c</p>', []],
  [
    '<p>report.pdf and <strong>invoice.exe</strong></p>',
    [
      ['file', 'report.pdf'],
      ['file', 'invoice.exe'],
    ],
  ],
  [
    '<h1>Incident</h1><p>Host <span class="x">10.1.2.3</span> beaconed to <u>c2.evil.ru</u>.</p>',
    [
      ['ipaddr', '10.1.2.3'],
      ['domain', 'c2.evil.ru'],
    ],
  ],
  ['<p>version <b>1.2.3.4</b></p>', []],
  [
    '<pre>GET http://evil.com/a.php HTTP/1.1\nHost: evil.com</pre>',
    [
      ['url', 'http://evil.com/a.php'],
      ['domain', 'evil.com'],
      ['domain', 'evil.com'],
    ],
  ],
  ['<p>unclosed <b>1.2.3.4', [['ipaddr', '1.2.3.4']]],
  ['<p>stray </b> 1.2.3.4</p>', [['ipaddr', '1.2.3.4']]],
  ['<p>evil.com<', [['domain', 'evil.com']]],
  ['no markup at all: evil.com', [['domain', 'evil.com']]],
  ['<p>&#1;&#0;1.2.3.4</p>', [['ipaddr', '1.2.3.4']]],
  ['<p>&nbsp;1.2.3.4&nbsp;</p>', [['ipaddr', '1.2.3.4']]],
  ['<p>{21EC2020-3AEA-1069-A2DD-08002B30309D}</p>', [['clsid', '{21EC2020-3AEA-1069-A2DD-08002B30309D}']]],
  ['<p>6ba7b810-9dad-<i>11d1</i>-80b4-00c04fd430c8</p>', [['uuid1', '6ba7b810-9dad-11d1-80b4-00c04fd430c8']]],
  ['<p>10.0.0.0/<b>8</b></p>', [['cidr', '10.0.0.0/8']]],
];

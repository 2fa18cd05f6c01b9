// Link-layer header types (tcpdump.org/linktypes.html) that pcapdx knows by name.

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_HISTORIC_12: 12, // DLT_RAW on some BSDs / OpenBSD
  RAW_HISTORIC_14: 14, // DLT_RAW on other BSDs
  RAW: 101,
  IEEE802_11: 105,
  LOOP: 108,
  LINUX_SLL: 113,
  IEEE802_11_RADIOTAP: 127,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'BSD loopback (NULL)'],
  [1, 'Ethernet'],
  [6, 'IEEE 802.5 Token Ring'],
  [9, 'PPP'],
  [10, 'FDDI'],
  [12, 'Raw IP (historical 12)'],
  [14, 'Raw IP (historical 14)'],
  [50, 'PPP in HDLC framing'],
  [51, 'PPPoE'],
  [101, 'Raw IP'],
  [104, 'Cisco HDLC'],
  [105, 'IEEE 802.11'],
  [108, 'OpenBSD loopback (LOOP)'],
  [113, 'Linux cooked (SLL)'],
  [119, 'Prism header + 802.11'],
  [127, 'Radiotap + 802.11'],
  [143, 'DOCSIS'],
  [163, 'AVS + 802.11'],
  [182, 'Juniper MFR'],
  [187, 'Bluetooth HCI H4'],
  [192, 'PPI'],
  [195, 'IEEE 802.15.4'],
  [201, 'Bluetooth HCI H4 with pseudo-header'],
  [220, 'USB (Linux, memory-mapped)'],
  [228, 'Raw IPv4'],
  [229, 'Raw IPv6'],
  [239, 'Linux NFLOG'],
  [249, 'USB (Linux)'],
  [252, 'Wireshark upper PDU'],
  [263, 'Bluetooth LE LL'],
  [276, 'Linux cooked v2 (SLL2)'],
]);

/** A human name for a link type, e.g. linkTypeName(113) = 'Linux cooked (SLL)'. */
export function linkTypeName(linkType: number): string {
  return NAMES.get(linkType) ?? `unknown link type ${linkType}`;
}

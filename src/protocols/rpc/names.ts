// ONC RPC program and procedure names: RFC 1094 (NFSv2), RFC 1813 (NFSv3, MOUNT v3, NLM v4),
// RFC 7530/8881 (NFSv4 COMPOUND), RFC 1833 (portmap v2, rpcbind v3/v4), NSM (X/Open XNFS),
// NFS_ACL (Solaris/Linux side protocol).

export const PROG_PORTMAP = 100000;
export const PROG_NFS = 100003;
export const PROG_MOUNT = 100005;
export const PROG_NLM = 100021;
export const PROG_NSM = 100024;
export const PROG_NFS_ACL = 100227;
export const PROG_NFS4_CB = 0x40000000;

const PROGRAMS: Record<number, string> = {
  [PROG_PORTMAP]: 'portmap',
  100001: 'rstat',
  100002: 'rusers',
  [PROG_NFS]: 'NFS',
  100004: 'ypserv',
  [PROG_MOUNT]: 'MOUNT',
  100007: 'ypbind',
  100011: 'rquota',
  [PROG_NLM]: 'NLM',
  [PROG_NSM]: 'NSM',
  100232: 'sadmind',
  [PROG_NFS_ACL]: 'NFS_ACL',
  [PROG_NFS4_CB]: 'NFSv4_CB',
};

export function programName(prog: number): string | null {
  return PROGRAMS[prog] ?? null;
}

const NFS2 = ['NULL', 'GETATTR', 'SETATTR', 'ROOT', 'LOOKUP', 'READLINK', 'READ', 'WRITECACHE', 'WRITE',
  'CREATE', 'REMOVE', 'RENAME', 'LINK', 'SYMLINK', 'MKDIR', 'RMDIR', 'READDIR', 'STATFS'];
const NFS3 = ['NULL', 'GETATTR', 'SETATTR', 'LOOKUP', 'ACCESS', 'READLINK', 'READ', 'WRITE', 'CREATE',
  'MKDIR', 'SYMLINK', 'MKNOD', 'REMOVE', 'RMDIR', 'RENAME', 'LINK', 'READDIR', 'READDIRPLUS', 'FSSTAT',
  'FSINFO', 'PATHCONF', 'COMMIT'];
const NFS4 = ['NULL', 'COMPOUND'];
const NFS4_CB = ['CB_NULL', 'CB_COMPOUND'];
const MOUNT = ['NULL', 'MNT', 'DUMP', 'UMNT', 'UMNTALL', 'EXPORT', 'EXPORTALL', 'PATHCONF'];
const NLM: Record<number, string> = {
  0: 'NULL', 1: 'TEST', 2: 'LOCK', 3: 'CANCEL', 4: 'UNLOCK', 5: 'GRANTED', 6: 'TEST_MSG', 7: 'LOCK_MSG',
  8: 'CANCEL_MSG', 9: 'UNLOCK_MSG', 10: 'GRANTED_MSG', 11: 'TEST_RES', 12: 'LOCK_RES', 13: 'CANCEL_RES',
  14: 'UNLOCK_RES', 15: 'GRANTED_RES', 16: 'SM_NOTIFY', 20: 'SHARE', 21: 'UNSHARE', 22: 'NM_LOCK',
  23: 'FREE_ALL',
};
const NSM = ['NULL', 'STAT', 'MON', 'UNMON', 'UNMON_ALL', 'SIMU_CRASH', 'NOTIFY'];
const NFS_ACL2 = ['NULL', 'GETACL', 'SETACL', 'GETATTR', 'ACCESS', 'GETXATTRDIR'];
const NFS_ACL3 = ['NULL', 'GETACL', 'SETACL', 'GETXATTRDIR'];
const PMAP2 = ['NULL', 'SET', 'UNSET', 'GETPORT', 'DUMP', 'CALLIT'];
const RPCB3 = ['NULL', 'SET', 'UNSET', 'GETADDR', 'DUMP', 'CALLIT', 'GETTIME', 'UADDR2TADDR', 'TADDR2UADDR'];
const RPCB4 = ['NULL', 'SET', 'UNSET', 'GETADDR', 'DUMP', 'BCAST', 'GETTIME', 'UADDR2TADDR', 'TADDR2UADDR',
  'GETVERSADDR', 'INDIRECT', 'GETADDRLIST', 'GETSTAT'];

function table(prog: number, vers: number): readonly string[] | Record<number, string> | null {
  switch (prog) {
    case PROG_NFS: return vers === 2 ? NFS2 : vers === 3 ? NFS3 : vers === 4 ? NFS4 : null;
    case PROG_NFS4_CB: return NFS4_CB;
    case PROG_MOUNT: return MOUNT;
    case PROG_NLM: return NLM;
    case PROG_NSM: return NSM;
    case PROG_NFS_ACL: return vers === 2 ? NFS_ACL2 : vers === 3 ? NFS_ACL3 : null;
    case PROG_PORTMAP: return vers === 2 ? PMAP2 : vers === 3 ? RPCB3 : vers === 4 ? RPCB4 : null;
    default: return null;
  }
}

export function procedureName(prog: number, vers: number, proc: number): string {
  const t = table(prog, vers);
  const n = t ? (t as Record<number, string>)[proc] : undefined;
  return n ?? `PROC_${proc}`;
}

/** Names of known programs' versions below this are made once (cached): one string per
 *  exchange was garbage, and a new string's hash is computed again wherever it is a Map key. */
const CACHED_VERSIONS = 256;
const serviceNames = new Map<number, string>();

/** 'NFSv3', 'portmapv2', 'RPC 100232v10' */
export function serviceName(prog: number, vers: number): string {
  if (prog === PROG_NFS && vers === 3) return 'NFSv3'; // most exchanges
  const p = programName(prog);
  if (!p) return `RPC ${prog}v${vers}`;
  if (vers >= CACHED_VERSIONS) return `${p}v${vers}`;
  // known programs are few (PROGRAMS), so the cache holds at most 7 * 256 names
  const k = prog * CACHED_VERSIONS + vers;
  let n = serviceNames.get(k);
  if (n === undefined) {
    n = `${p}v${vers}`;
    serviceNames.set(k, n);
  }
  return n;
}

const NFS_STAT: Record<number, string> = {
  0: 'OK', 1: 'ERR_PERM', 2: 'ERR_NOENT', 5: 'ERR_IO', 6: 'ERR_NXIO', 13: 'ERR_ACCES', 17: 'ERR_EXIST',
  18: 'ERR_XDEV', 19: 'ERR_NODEV', 20: 'ERR_NOTDIR', 21: 'ERR_ISDIR', 22: 'ERR_INVAL', 27: 'ERR_FBIG',
  28: 'ERR_NOSPC', 30: 'ERR_ROFS', 31: 'ERR_MLINK', 63: 'ERR_NAMETOOLONG', 66: 'ERR_NOTEMPTY',
  69: 'ERR_DQUOT', 70: 'ERR_STALE', 71: 'ERR_REMOTE', 10001: 'ERR_BADHANDLE', 10002: 'ERR_NOT_SYNC',
  10003: 'ERR_BAD_COOKIE', 10004: 'ERR_NOTSUPP', 10005: 'ERR_TOOSMALL', 10006: 'ERR_SERVERFAULT',
  10007: 'ERR_BADTYPE', 10008: 'ERR_DELAY', 10011: 'ERR_EXPIRED', 10013: 'ERR_GRACE',
  10022: 'ERR_STALE_CLIENTID', 10023: 'ERR_STALE_STATEID', 10025: 'ERR_BAD_STATEID',
  10026: 'ERR_BAD_SEQID', 10052: 'ERR_BADSESSION', 10053: 'ERR_BADSLOT', 10063: 'ERR_SEQ_MISORDERED',
};

/** names of known codes for versions 2-4, made once: (version, code) -> name */
const statusNames = new Map<number, string>();
const STATUS_VERSIONS = 8;

/** nfsstat (v2/v3/v4 share the common codes): 'NFS3_OK', 'NFS4ERR_NOENT' */
export function nfsStatusName(vers: number, code: number): string {
  if (code === 0 && vers === 3) return 'NFS3_OK'; // most replies
  const n = NFS_STAT[code];
  const cacheable = n !== undefined && vers >= 0 && vers < STATUS_VERSIONS; // bounded: known codes only
  const k = code * STATUS_VERSIONS + vers;
  if (cacheable) {
    const c = statusNames.get(k);
    if (c !== undefined) return c;
  }
  const prefix = vers === 2 ? 'NFS' : `NFS${vers}`;
  const name = n ? (n === 'OK' ? `${prefix}_OK` : `${prefix}${n}`) : `${prefix}_STATUS_${code}`;
  if (cacheable) statusNames.set(k, name);
  return name;
}

# Records hearth stores in RocksDB. Field ordinals are wire/disk numbers:
# never renumber or reuse them; retire a field by leaving its number unused.
@0xec2f989b2895c568;

struct NodeMeta {
  # The node's own record (column "meta", key "node"): written at every start
  # and at every clean stop, so the next start knows how the last one ended.
  schemaVersion @0 :UInt32;
  firstStartedAtMs @1 :Int64;
  lastStartedAtMs @2 :Int64;
  startCount @3 :UInt64;
  running @4 :Bool;          # true from start until a clean stop is written
  lastStoppedAtMs @5 :Int64;
  uncleanStops @6 :UInt64;   # starts that found running = true
  version @7 :Text;          # hearth version that last wrote the record
  previousStopClean @8 :Bool = true;  # how the run before the current one ended
}

enum OfferMode {
  cgi @0;    # HTTP requests at /{offer_hash}.cgi/* run it CGI-style
  mcp @1;    # an MCP tool: JSON arguments on stdin, JSON result on stdout
  batch @2;  # `hearth run`: arguments and stdin in, output out
}

struct Limits {
  ramMb @0 :UInt64;
  cpuSecs @1 :UInt64;
  wallSecs @2 :UInt64;
  network @3 :Bool;
  maxOutputBytes @4 :UInt64;
  # Version 3:
  tcpBind @5 :List(UInt16);      # either list non-empty: the run's TCP binds and connects only to these ports
  tcpConnect @6 :List(UInt16);
  cpuUnits @7 :UInt32;           # thousandths of a core reserved for each run (its CPU bandwidth); 0: 1000
}

struct ExecutableVariant {
  arch @0 :Text;
  sha256 @1 :Data;               # 32 bytes
  size @2 :UInt64;
  url @3 :Text;                  # https URL the node fetches it from (hash checked); "": uploaded
}

struct PriceOption {
  network @0 :Text;              # x402 v1 name: base, base-sepolia, ethereum
  asset @1 :Data;                # 20-byte token contract (USDC of that network)
  amount @2 :UInt64;             # atomic units per call, or per second when perSecond
  perSecond @3 :Bool;
  payTo @4 :Data;                # 20 bytes; empty: the offer's payTo
}

struct Offer {
  # Signed by its owner. The offer hash is sha256 of this struct's Cap'n Proto
  # canonical encoding; the node refuses any other encoding of it.
  version @0 :UInt32;            # 1
  executableSha256 @1 :Data;     # 32 bytes
  executableSize @2 :UInt64;
  arch @3 :Text;                 # ELF architecture, e.g. "x86_64"
  mode @4 :OfferMode;
  pricePerCall @5 :UInt64;       # USDC atomic units (6 decimals); 0 with perSecond 0: free
  pricePerSecond @6 :UInt64;     # USDC atomic units per second of wall time, paid for wallSecs up front
  limits @7 :Limits;
  payTo @8 :Data;                # 20-byte address payments go to
  owner @9 :Data;                # 20-byte address that signed the offer
  createdAt @10 :Int64;          # unix seconds
  expiresAt @11 :Int64;          # unix seconds; 0: never
  deterministic @12 :Bool;       # identical requests may be answered from the stored result
  name @13 :Text;
  description @14 :Text;
  args @15 :List(Text);          # fixed leading arguments
  manifest @16 :Text;            # mcp: the tool's manifest JSON as it printed it (name, description, schemas, limits)
  # Version 2 (a version 1 offer carries none of these; its callers may add arguments):
  env @17 :List(Text);           # the owner's KEY=VALUE presets, set in every run
  envExtendable @18 :Bool;       # callers may add variables or override the owner's
  stdin @19 :Data;               # written to the program's stdin before the caller's
  stdinAppendable @20 :Bool;     # callers may send stdin after it (without: none)
  argsExtendable @21 :Bool;      # callers may add arguments after args
  retainSecs @22 :UInt64;        # a task's output is kept at most this long; 0: the node's retention
  minDurationSecs @23 :UInt64;   # per-second offers: the buyer pays for a run of min..max seconds;
  maxDurationSecs @24 :UInt64;   #   both 0: for the whole wall limit
  # Version 3 (a version 2 offer carries none of these):
  executableUrl @25 :Text;       # https URL of the executable above, fetched by the node; "": uploaded
  variants @26 :List(ExecutableVariant);  # executables for other architectures; a node runs its own
  envPrivateSha256 @27 :Data;    # sha256 of the owner's secret env (salted, NAME=VALUE lines), kept on the node apart
  stdinPrivateSha256 @28 :Data;  # sha256 of the owner's secret stdin prefix (salted)
  prices @29 :List(PriceOption); # one x402 requirement each; empty: pricePerCall/PerSecond on the node's networks
  pool @30 :Text;                # the node's pool whose capacity makes calls free
}

struct StoredOffer {
  # Column "offers", key = offer hash (hex).
  canonical @0 :Data;            # the canonical Offer bytes, as signed
  signature @1 :Data;            # 65 bytes r || s || v over the EIP-191 digest of the offer hash
  receivedAtMs @2 :Int64;
}

enum TaskState {
  pending @0;
  running @1;
  completed @2;   # the program ran to an end (see ending)
  failed @3;      # the sandbox could not be built, or the node stopped it
}

struct StoredTask {
  # Column "tasks", key = task id (hex). Written when the task starts and
  # again when it ends, before anyone is answered.
  id @0 :Text;
  offerHash @1 :Text;
  inputHash @2 :Text;
  state @3 :TaskState;
  ending @4 :UInt8;              # sandbox::ending
  exitCode @5 :Int32;
  signal @6 :Int32;
  cpuSecs @7 :Float64;
  wallSecs @8 :Float64;
  peakMemoryBytes @9 :UInt64;
  createdAtMs @10 :Int64;
  finishedAtMs @11 :Int64;
  stdout @12 :Data;
  stderr @13 :Data;
  outputSignature @14 :Data;     # 65 bytes by the node key over the output digest
  error @15 :Text;               # why it failed, when it did
  stdoutSize @16 :UInt64;        # bytes the program wrote on stdout
  stdoutSpilled @17 :Bool;       # stdout is in the node's output file for the task, not in stdout
  readTokenHash @18 :Text;       # hex sha256 of the read capability given to whoever started the task
  errorCode @19 :Text;           # the failure's stable code when the sandbox refused to start it
  retainUntilMs @20 :Int64;      # the offer's --retain: the task is gone after this; 0: the node's retention
}

enum PaymentState {
  held @0;           # verified and its nonce recorded; the task may run
  settled @1;        # charged: in the ledger, or settled by the facilitator
  unsettled @2;      # not charged (the handler failed, the node stopped, a cache hit): see note
  settlePending @3;  # the facilitator did not answer in time; settlement is being retried
  failed @4;         # the facilitator refused to settle: see note
}

struct StoredPayment {
  # Column "payments", key = payment id (hex sha256 of payer || nonce).
  # Written with its nonce (column "nonces", key payer || nonce) in one batch
  # when it is held; the nonce entry is never removed.
  id @0 :Text;
  payer @1 :Data;           # 20 bytes
  payTo @2 :Data;           # 20 bytes
  network @3 :Text;         # CAIP-2
  asset @4 :Data;           # 20 bytes
  amount @5 :Text;          # atomic units, decimal
  nonce @6 :Data;           # 32 bytes
  validBefore @7 :UInt64;
  x402Version @8 :UInt8;
  state @9 :PaymentState;
  offerHash @10 :Text;
  taskId @11 :Text;
  resource @12 :Text;
  createdAtMs @13 :Int64;
  updatedAtMs @14 :Int64;
  transaction @15 :Text;    # the chain transaction hash when one settled it; empty otherwise
  note @16 :Text;           # why it is unsettled or failed
  payload @17 :Text;        # the payment header's JSON, for a facilitator's /settle
  requirement @18 :Text;    # the requirement JSON it paid, for a facilitator's /settle
  ledgerEntry @19 :Text;    # the node's own ledger entry (payment id) when it settled into the ledger
  blockNumber @20 :UInt64;  # settled on chain: the block of its transaction
  gasUsed @21 :UInt64;
  gasPrice @22 :Text;       # effective gas price, wei (decimal)
}

struct StoredChainTx {
  # Column "chainTxs", key = "o/" network "/" sender hex "/" 20-digit nonce;
  # "p/" payment id -> that key. Written (one batch) after signing and before
  # broadcast; removed when its receipt is seen.
  paymentId @0 :Text;
  network @1 :Text;         # CAIP-2
  sender @2 :Data;          # 20 bytes
  nonce @3 :UInt64;
  hash @4 :Data;            # 32 bytes
  raw @5 :Data;             # the signed EIP-1559 envelope
  sentAtMs @6 :Int64;
  authorizer @7 :Data;      # 20 bytes: the payer
  authNonce @8 :Data;       # 32 bytes
}

struct LedgerEntry {
  # Column "ledger", key = payer hex / network / payment id: one receivable
  # per settled payment, written in the batch that marks it settled.
  paymentId @0 :Text;
  payer @1 :Data;
  network @2 :Text;
  asset @3 :Data;
  amount @4 :Text;
  settledAtMs @5 :Int64;
  offerHash @6 :Text;
  taskId @7 :Text;
  payTo @8 :Data;           # 20 bytes: whom the payment is owed to
  transaction @9 :Text;     # settled on chain: its transaction (money moved); empty: a receivable of this ledger only
}

struct ResourceLimits {
  maxCpuCores @0 :Float64;
  maxMemoryMb @1 :UInt64;
  maxDiskGb @2 :UInt64;
  maxNetworkEgressGb @3 :UInt64;
  maxDurationHours @4 :UInt64;
  maxTokenBudget @5 :UInt64;
}

struct GuestPermissions {
  canAccessInternet @0 :Bool;
  canSpawnSubAgents @1 :Bool;
  canAccessHostServices @2 :Bool;
}

enum InviteState { active @0; redeemed @1; revoked @2; expired @3; }

struct StoredInvite {
  # Column "invites", key "i/<id>"; "c/<code hash>" -> id. The code itself is never stored.
  id @0 :Text;
  codeHash @1 :Text;
  createdBy @2 :Text;
  label @3 :Text;
  limits @4 :ResourceLimits;
  permissions @5 :GuestPermissions;
  createdAtMs @6 :Int64;
  expiresAtMs @7 :Int64;
  state @8 :InviteState;
  guestId @9 :Text;
  endedAtMs @10 :Int64;
}

enum GuestState { provisioning @0; running @1; expired @2; revoked @3; failed @4; }

struct GuestUsage {
  cpuSecs @0 :Float64;
  memoryMb @1 :UInt64;
  diskMb @2 :UInt64;
  networkEgressMb @3 :UInt64;
  tokensIn @4 :UInt64;
  tokensOut @5 :UInt64;
}

struct StoredGuest {
  # Column "guests", key "g/<id>"; "t/<token hash>" -> id. The token itself is never stored.
  id @0 :Text;
  name @1 :Text;
  publicKey @2 :Text;
  inviteId @3 :Text;
  tokenHash @4 :Text;
  state @5 :GuestState;
  reason @6 :Text;
  limits @7 :ResourceLimits;
  permissions @8 :GuestPermissions;
  createdAtMs @9 :Int64;
  expiresAtMs @10 :Int64;
  activatedAtMs @11 :Int64;
  endedAtMs @12 :Int64;
  agentEndpoint @13 :Text;
  usage @14 :GuestUsage;
  homeNode @15 :Text;
  # The cluster member whose environment host runs it ("": this node, outside a cluster).
}

enum JobState { queued @0; assigned @1; provisioning @2; running @3; expired @4; cancelled @5; failed @6; lost @7; }

struct JobEvent {
  state @0 :JobState;
  reason @1 :Text;
  atMs @2 :Int64;
}

struct StoredJob {
  # A marketplace job on its hub. Column "jobs", key "j/<id>"; in the same
  # batch the indexes "s/<state>/<id>" and "l/<seller address>/<id>" (empty
  # values), and "e/<16-digit expiry ms>/<id>" while it is live. The job
  # token is stored only as its hash.
  id @0 :Text;
  tokenHash @1 :Text;
  sshPubkey @2 :Text;
  image @3 :Text;
  cpus @4 :Float64;
  memMb @5 :UInt64;
  durationSecs @6 :UInt64;
  state @7 :JobState;
  reason @8 :Text;
  seller @9 :Text;
  sellerId @10 :Text;
  sshHost @11 :Text;
  sshPort @12 :UInt16;
  sshUser @13 :Text;
  sshHostKey @14 :Text;
  price @15 :UInt64;
  paymentId @16 :Text;
  createdAtMs @17 :Int64;
  updatedAtMs @18 :Int64;
  expiresAtMs @19 :Int64;
  history @20 :List(JobEvent);
  pricePerHour @21 :UInt64;      # its seller's price, USDC atomic units per hour
  homeNode @22 :Text;            # the cluster member whose seller runs it; empty: this hub
}

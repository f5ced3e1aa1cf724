// Which signature schemes this build verifies, fixed at compile time. A variant without a scheme
// is built with `--use AIRLOCK_WITHOUT_P256=1` or `--use AIRLOCK_WITHOUT_ED25519=1` (asconfig
// targets "ed25519" and "p256"); the default build defines neither and verifies both. Callers
// test these constants in `if`: asc compiles only the branch a constant condition takes, so a
// scheme that is off never has its code compiled, and a key of its type is refused by name
// (ERR_KEY_TYPE_UNSUPPORTED) rather than reaching code that is not there.

// @ts-ignore: AIRLOCK_WITHOUT_* exist only when asc's --use defines them
export const SCHEME_ED25519: bool = !isDefined(AIRLOCK_WITHOUT_ED25519);
// @ts-ignore: see above
export const SCHEME_P256: bool = !isDefined(AIRLOCK_WITHOUT_P256);

// An agent that verifies nothing would refuse every root: make that a build error, not a device.
// @ts-ignore: ERROR is an asc builtin, reported when a constant condition takes this branch
if (!SCHEME_ED25519 && !SCHEME_P256) ERROR("airlock: AIRLOCK_WITHOUT_ED25519 and AIRLOCK_WITHOUT_P256 together leave no signature scheme");

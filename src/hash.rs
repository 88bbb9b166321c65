//! The hash maps and sets genops uses: the standard ones with foldhash's hasher.
//!
//! In: nothing. Out: [`HashMap`] and [`HashSet`], drop-in for `std::collections`' (made with
//! `default()` or `collect()`, not `new()`). A large build hashes millions of short keys (names,
//! interned texts); SipHash, the standard hasher, spent about 3% of a 10,000-route build doing
//! it. foldhash is several times faster on short keys and still seeded at random per process,
//! so a spec cannot choose keys that collide; nothing genops writes depends on the order of a
//! hash map.

/// `std::collections::HashMap` with foldhash's hasher.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// `std::collections::HashSet` with foldhash's hasher.
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

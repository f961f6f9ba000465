//! STUB — argon2id hashing on the blocking pool.

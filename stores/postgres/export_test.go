package postgres

// LockKeyForTest is lockKey, for the tests that take a store's locks.
var LockKeyForTest = lockKey

// Package faulttest holds what the reliability and security tests of the
// kv module share: the byte-level backends they run over, with a way to
// read every byte a backend has written (RawBytes), self-verifying values
// for crash tests (Value, Check), a writer process killed with SIGKILL
// (RunCrash, CrashWriter), and a redis-server of a test's own that the
// test can stop and start again (StartRedis).
//
// It is test support, not API: only tests import it.
package faulttest

// Package statetest holds what tests of the state store's consumers
// share: MemStore, an in-memory twin of *state.Store, and Run, the
// contract suite that both the real store and MemStore pass, so that
// tests written against the fake hold for the real store.
//
// It is imported only from _test.go files.
package statetest

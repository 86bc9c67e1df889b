// Package docs holds tests of the repository's documents: links that
// resolve, contract sections the code cites that exist.
package docs

package core

// LoopbackTCP gives the external tests (package core_test) the internal
// tests' loopback TCP connection.
var LoopbackTCP = loopbackTCP

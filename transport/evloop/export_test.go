package evloop

// MaxDiscard exports maxDiscard to the tests.
const MaxDiscard = maxDiscard

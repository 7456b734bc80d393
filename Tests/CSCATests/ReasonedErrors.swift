import CSCA
import Store
import TestSupport

// The error types these tests expect, for expectError, which checks the reason as well as the code.
extension StoreError: ReasonedError {}
extension CSCAError: ReasonedError {}

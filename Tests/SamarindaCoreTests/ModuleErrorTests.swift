import Testing
@testable import SamarindaCore

/// Every module's error is `ModuleError<ItsKinds>`: the module's kinds, its messages unchanged, its
/// transport-neutral kind and code for the adapters, and a typed catch that never takes another module's error.
struct ModuleErrorTests {
    enum OtherKind: String, ModuleErrorKind {
        case storage = "other_storage"
        var errorKind: ErrorKind { .internal }
    }
    typealias OtherError = ModuleError<OtherKind>

    @Test func aModuleErrorCarriesItsKindCodeAndMessageUnchanged() throws {
        let error = UserStoreError(.exists, "the user 'ani' exists already: pick another name")
        #expect(error.kind == .exists)
        #expect(error.message == "the user 'ani' exists already: pick another name")
        #expect("\(error)" == error.message, "printed as its message alone, as before the fold")
        let kinded: any KindedError = error
        #expect(kinded.errorKind == .conflict && kinded.errorCode == "user_exists" && kinded.errorMessage == error.message)
        let kind: UserStoreError.Kind = .wrongPassword
        #expect(UserStoreError(kind, "x").errorKind == .unauthenticated)
        #expect(OtherError(.storage, "y").errorCode == "other_storage", "a String kind's raw value is its code")
    }

    @Test func aTypedCatchTakesOnlyItsOwnModulesErrors() {
        func thrower(_ error: any Error) throws { throw error }
        // Same kind name, same message, another module: not caught as a UserStoreError.
        var caught = ""
        do { try thrower(OtherError(.storage, "disk full")) } catch let e as UserStoreError where e.kind == .storage {
            caught = "users"
        } catch let e as OtherError {
            caught = "other \(e.kind)"
        } catch { caught = "untyped" }
        #expect(caught == "other storage")
        do { try thrower(UserStoreError(.storage, "disk full")) } catch let e as UserStoreError where e.kind == .storage {
            caught = "users"
        } catch { caught = "untyped" }
        #expect(caught == "users")
        #expect(UserStoreError(.storage, "a") != UserStoreError(.storage, "b") && UserStoreError(.storage, "a") == UserStoreError(.storage, "a"))
    }
}

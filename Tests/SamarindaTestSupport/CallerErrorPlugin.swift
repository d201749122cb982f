import Foundation

/// A department plugin that raises its caller's errors with `error({code = …})` (issue 25): a date that
/// does not exist is `invalid_arguments`, 2026-01-01 `not_found`, 2026-01-02 `conflict`, 2026-01-03 a
/// plain error (`plugin_error`); other dates answer `{ok = true}`. Every message names the date, so a
/// test sees whether the trail kept it in plain text. Written into a plugins folder by the tests of
/// each entry point (HTTP, MCP, `plugin run`).
public enum CallerErrorPlugin {
    public static let id = "dinkes.jadwal"

    public static let manifest = """
        [plugin]
        id = "dinkes.jadwal"
        name = "Jadwal imunisasi"
        version = "1.0.0"
        department = "dinkes"
        description = "Checks a date for the immunisation schedule"
        host_api = "^1.0"
        entry = "main.lua"
        [[tools]]
        name = "cek_tanggal"
        handler = "cek_tanggal"
        description = "Check a date"
        classification = "biasa"
        read_only = true
        allowed = ["*"]
        [tools.input_schema]
        type = "object"
        required = ["tanggal"]
        properties.tanggal = { type = "string" }
        """

    public static let main = """
        function cek_tanggal(args)
          if args.tanggal == "2026-02-30" then
            error({code = "invalid_arguments", message = "tanggal " .. args.tanggal .. " tidak ada", field = "tanggal"})
          elseif args.tanggal == "2026-01-01" then
            error({code = "not_found", message = "tidak ada jadwal untuk " .. args.tanggal})
          elseif args.tanggal == "2026-01-02" then
            error({code = "conflict", message = "jadwal " .. args.tanggal .. " sudah terisi"})
          elseif args.tanggal == "2026-01-03" then
            error("gagal membaca " .. args.tanggal, 0)
          end
          return {ok = true}
        end
        """

    /// Writes the plugin's folder into `pluginsDir`.
    public static func write(into pluginsDir: String) throws {
        let folder = pluginsDir + "/" + id
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try manifest.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try main.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
    }
}

fn main() -> std::process::ExitCode {
    hotdev::run()
}

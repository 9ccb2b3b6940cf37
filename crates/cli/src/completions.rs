//! Shell completions for bash, zsh, fish, elvish and PowerShell.

use clap::CommandFactory;

use crate::Error;

/// Arguments of `selfsign completions`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to print completions for
    pub shell: clap_complete::Shell,
}

/// Prints the completion script for the chosen shell to stdout.
pub fn run<C: CommandFactory>(args: &CompletionsArgs) -> Result<(), Error> {
    let mut cmd = C::command();
    let name = cmd.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, name, &mut script);
    crate::output::write(&script);
    Ok(())
}

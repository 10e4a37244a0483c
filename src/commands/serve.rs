//! `fanout serve`: the loopback test server in the foreground.

use fanout::serve::ServeOptions;

use super::{Failure, runtime};
use crate::cli::ServeArgs;

pub fn serve(args: ServeArgs) -> Result<(), Failure> {
    let rt = runtime()?;
    rt.block_on(async {
        let listener = fanout::serve::bind(std::net::Ipv4Addr::LOCALHOST.into(), args.port)
            .await
            .map_err(|e| e.hint("pick another port, or 0 for any free one"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::Internal(e.to_string()))?;
        eprintln!("fanout serve: listening on http://{addr} (loopback only); Ctrl-C stops it");
        eprintln!(
            "routes: /delay/{{ms}}  /status/{{code}}?delay_ms=N  /bytes/{{n}}  /limited/{{ms}}"
        );
        fanout::serve::serve(listener, ServeOptions::default())
            .await
            .map_err(|e| Failure::Internal(format!("the server stopped: {e}")))
    })
}

/** The text each command's `--help` shows after its flags: examples, and notes that need room. */

/** By command path (`''` is the main command, `'webhook verify'` a subcommand). */
export const HELP_AFTER: Readonly<Record<string, string>> = {
  '': `
Examples:
  $ upscale photo.jpg --engine sparkle --scale 4x        # writes photo@4x.<ext> next to photo.jpg
  $ upscale photo.jpg -p local --scale 4x                # offline, no key: runs on this machine
  $ upscale photo.jpg -o big.png --prompt "a red fox"     # name the output file
  $ upscale photo.jpg --scale 8x --dry-run                # check limits, print the request, send nothing
  $ upscale a.jpg b.png -o upscaled/ --json | jq .output  # several inputs into a folder, JSON lines out
  $ upscale photos/ -r -o big/ --concurrency 8            # a folder tree, mirrored into big/
  $ find . -name '*.png' | upscale - -o out/              # inputs from stdin
  $ upscale 'shots/**/*.jpg' --shard 2/3 --json           # CI job 2 of 3 takes a stable third
  $ upscale photo.jpg -p freepik-precision-v2 --scale 4 --flavor photo
  $ upscale https://example.com/a.jpg -p novita --resolution 4k --format png
  $ upscale photo.jpg --format webp --quality 85          # convert; EXIF, GPS and ICC carried over
  $ upscale shots/ --width 3840 --fit --dry-run           # sizes and estimated price per input and in total
  $ upscale shots/ --scale 4x --max-cost 5                # refuse to start above €5 (estimated)
  $ upscale webhook verify --secret "$SECRET" --id … --timestamp … --signature … body.json
  $ upscale config set freepik.apiKey <key>               # store the key (file mode 0600)
  $ upscale providers                                     # every provider: endpoint, key, flags, limits

The magnific, magnific-precision and magnific-precision-v2 ids are the three Freepik upscalers on
api.magnific.com (header x-magnific-api-key) and take the same flags as their freepik twins.

Exit codes: 0 all succeeded or skipped, 1 some input failed, 2 usage/config error or every
input refused before sending, 130 interrupted (run the same command again to resume), 129 the
terminal closed (as Ctrl-C), 141 stdout's reader left before the end (the paid tasks are kept).`,
  providers: `
Examples:
  $ upscale providers
  $ upscale providers novita local
  $ upscale providers --json | jq -r '.[] | .id + "  " + .submit'`,
  local: `
Examples:
  $ upscale local add-runtime          # onnxruntime-node, CPU only: ~4x faster, ~50 MB on disk
  $ upscale local add-model thick      # the best local model (57 MB); slow without add-runtime
  $ upscale providers local            # which runtime and models -p local uses, and how fast

Both install into your data folder (UPSCALE_DATA_DIR moves it); remove it to undo.`,
  config: `
Examples:
  $ upscale config set freepik.apiKey <key>
  $ upscale config set freepik.baseUrl https://api.magnific.com
  $ upscale config get freepik.baseUrl
  $ upscale config unset freepik.apiKey
  $ upscale config list          # keys are shown as (set, hidden)
  $ upscale config path`,
  'config set': `
Example:
  $ upscale config set novita.apiKey <key>`,
  'config get': `
Example:
  $ upscale config get freepik.baseUrl`,
  'config unset': `
Example:
  $ upscale config unset comfy.keyHeader`,
  'config list': `
Example:
  $ upscale config list`,
  'config path': `
Example:
  $ upscale config path          # UPSCALE_CONFIG_DIR moves it`,
  status: `
Examples:
  $ upscale status 046b6c7f-0b8a-43b9-b35d-6489e6daee91
  $ upscale status 1a2b3c -p novita --json
  $ upscale status                     # tasks submitted but not yet collected`,
  download: `
Examples:
  $ upscale download 046b6c7f-0b8a-43b9-b35d-6489e6daee91 -o photo@4x.png
  $ upscale download 1a2b3c -p novita -o results/`,
  webhook: `
Example:
  $ upscale webhook verify --secret "$SECRET" --id msg_1 --timestamp 1718000000 --signature "v1,…" body.json`,
  'webhook verify': `
The secret is used as UTF-8 bytes; a Standard Webhooks secret (whsec_<base64>) is also tried decoded.

Examples:
  $ upscale webhook verify --secret "$SECRET" --id msg_1 --timestamp 1718000000 --signature "v1,…" body.json
  $ curl-dump-body | upscale webhook verify --id … --timestamp … --signature … -`,
  forget: `
Examples:
  $ upscale status                         # what is pending, with task ids and inputs
  $ upscale forget 046b6c7f-0b8a-43b9-b35d-6489e6daee91
  $ upscale forget photos/cat.jpg          # e.g. a lost submit you checked on the dashboard`,
  resume: `
Examples:
  $ upscale resume
  $ upscale resume --json | jq -r .output`,
  version: `
Examples:
  $ upscale version
  $ upscale --version --verbose          # the same as upscale version --verbose`,
  completion: `
Install (then open a new shell):
  bash:  echo 'source <(upscale completion bash)' >> ~/.bashrc
  zsh:   echo 'source <(upscale completion zsh)' >> ~/.zshrc      # after compinit
  fish:  upscale completion fish > ~/.config/fish/completions/upscale.fish

Examples:
  $ upscale completion bash > ~/.local/share/bash-completion/completions/upscale
  $ upscale --sc<Tab>                    # completes --scale; upscale --engine <Tab> lists the engines`,
};

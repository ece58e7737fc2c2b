#!/usr/bin/env node
// `kubectl everynode ...`: kubectl runs an executable named kubectl-everynode found on PATH with
// the words after `everynode` (and KUBECONFIG in its environment), so the plugin is everynode
// itself; EVERYNODE_KUBECTL_PLUGIN lets help and completion say "kubectl everynode".
process.env.EVERYNODE_KUBECTL_PLUGIN = '1';
await import('./everynode.js');

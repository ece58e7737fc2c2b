/**
 * apps/v1 defaulting for DaemonSets and the core defaults of their pod templates.
 * CONTRACT STUB: the api helper implements the bodies; signatures are fixed.
 */
import type { DaemonSet, PodTemplateSpec } from './types.js';

/** SetDefaults_DaemonSet plus pod-template defaults; returns a new object, never mutates. */
export declare function defaultDaemonSet(ds: DaemonSet): DaemonSet;

/** The core pod defaults (restartPolicy, dnsPolicy, terminationGracePeriodSeconds, schedulerName,
 * securityContext, container terminationMessagePath/Policy, imagePullPolicy, ...). */
export declare function defaultPodTemplate(template: PodTemplateSpec): PodTemplateSpec;

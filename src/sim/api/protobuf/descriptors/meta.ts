/**
 * apimachinery meta/v1 messages (k8s.io/apimachinery pkg/apis/meta/v1: generated.proto for field
 * numbers, types.go for JSON names and omitempty), as of v0.36. TypeMeta is absent on purpose:
 * kind and apiVersion travel in the runtime.Unknown envelope, not in the object.
 */
import type { MessageTable } from '../schema.ts';

export const META: MessageTable = {
  'meta.Condition': [
    [1, 'type', 'string', 'k'],
    [2, 'status', 'string', 'k'],
    [3, 'observedGeneration', 'int64'],
    [4, 'lastTransitionTime', 'Time', 'k'],
    [5, 'reason', 'string', 'k'],
    [6, 'message', 'string', 'k'],
  ],
  'meta.DeleteOptions': [
    [1, 'gracePeriodSeconds', 'int64', 'p'],
    [2, 'preconditions', 'meta.Preconditions', 'p'],
    [3, 'orphanDependents', 'bool', 'p'],
    [4, 'propagationPolicy', 'string', 'p'],
    [5, 'dryRun', 'string', 'r'],
    [6, 'ignoreStoreReadErrorWithClusterBreakingPotential', 'bool', 'p'],
  ],
  'meta.LabelSelector': [
    [1, 'matchLabels', 'map<string,string>'],
    [2, 'matchExpressions', 'meta.LabelSelectorRequirement', 'r'],
  ],
  'meta.LabelSelectorRequirement': [
    [1, 'key', 'string', 'k'],
    [2, 'operator', 'string', 'k'],
    [3, 'values', 'string', 'r'],
  ],
  'meta.ManagedFieldsEntry': [
    [1, 'manager', 'string'],
    [2, 'operation', 'string'],
    [3, 'apiVersion', 'string'],
    [4, 'time', 'Time', 'p'],
    [6, 'fieldsType', 'string'],
    [7, 'fieldsV1', 'FieldsV1', 'p'],
    [8, 'subresource', 'string'],
  ],
  'meta.ObjectMeta': [
    [1, 'name', 'string'],
    [2, 'generateName', 'string'],
    [3, 'namespace', 'string'],
    [4, 'selfLink', 'string'],
    [5, 'uid', 'string'],
    [6, 'resourceVersion', 'string'],
    [7, 'generation', 'int64'],
    [8, 'creationTimestamp', 'Time'],
    [9, 'deletionTimestamp', 'Time', 'p'],
    [10, 'deletionGracePeriodSeconds', 'int64', 'p'],
    [11, 'labels', 'map<string,string>'],
    [12, 'annotations', 'map<string,string>'],
    [13, 'ownerReferences', 'meta.OwnerReference', 'r'],
    [14, 'finalizers', 'string', 'r'],
    [17, 'managedFields', 'meta.ManagedFieldsEntry', 'r'],
  ],
  'meta.OwnerReference': [
    [5, 'apiVersion', 'string', 'k'],
    [1, 'kind', 'string', 'k'],
    [3, 'name', 'string', 'k'],
    [4, 'uid', 'string', 'k'],
    [6, 'controller', 'bool', 'p'],
    [7, 'blockOwnerDeletion', 'bool', 'p'],
  ],
  'meta.Preconditions': [
    [1, 'uid', 'string', 'p'],
    [2, 'resourceVersion', 'string', 'p'],
  ],
};

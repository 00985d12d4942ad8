/** Volumes: printPersistentVolume and printPersistentVolumeClaim in pkg/printers/internalversion/printers.go. */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { AGE, NAME, column, printer, wide } from './columns.ts';
import { DOC } from './descriptions.ts';
import { since } from './duration.ts';
import { quantity } from './quantity.ts';

/** pkg/apis/core/helper GetAccessModesAsString: always in the order RWO,ROX,RWX,RWOP. */
export function accessModes(modes: string[] | undefined): string {
  const set = new Set(modes ?? []);
  return (
    [
      ['ReadWriteOnce', 'RWO'],
      ['ReadOnlyMany', 'ROX'],
      ['ReadWriteMany', 'RWX'],
      ['ReadWriteOncePod', 'RWOP'],
    ] as const
  )
    .filter(([mode]) => set.has(mode))
    .map(([, short]) => short)
    .join(',');
}

/** GetPersistentVolume(Claim)Class: the beta annotation wins over spec.storageClassName. */
function storageClass(metadata: ObjectMeta | undefined, specClass: string | undefined): string {
  const annotations = metadata?.annotations ?? {};
  const beta = 'volume.beta.kubernetes.io/storage-class';
  return beta in annotations ? (annotations[beta] ?? '') : (specClass ?? '');
}

const terminating = (metadata: ObjectMeta | undefined): boolean =>
  metadata?.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null;

export const persistentVolumes = printer<PersistentVolume>(
  [
    NAME,
    column('Capacity', 'string', DOC['PersistentVolumeSpec.capacity']),
    column('Access Modes', 'string', DOC['PersistentVolumeSpec.accessModes']),
    column('Reclaim Policy', 'string', DOC['PersistentVolumeSpec.persistentVolumeReclaimPolicy']),
    column('Status', 'string', DOC['PersistentVolumeStatus.phase']),
    column('Claim', 'string', DOC['PersistentVolumeSpec.claimRef']),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', DOC['PersistentVolumeStatus.reason']),
    AGE,
    wide('VolumeMode', 'string', DOC['PersistentVolumeSpec.volumeMode']),
  ],
  (obj, now) => {
    const spec = obj.spec ?? {};
    const claim = spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
    return [
      obj.metadata?.name ?? '',
      quantity(spec.capacity?.['storage']),
      accessModes(spec.accessModes),
      // SetDefaults_PersistentVolume: Retain, Filesystem and Pending when unset.
      spec.persistentVolumeReclaimPolicy || 'Retain',
      terminating(obj.metadata) ? 'Terminating' : obj.status?.phase || 'Pending',
      claim,
      storageClass(obj.metadata, spec.storageClassName),
      spec.volumeAttributesClassName ?? '<unset>',
      obj.status?.reason ?? '',
      since(obj.metadata?.creationTimestamp, now),
      spec.volumeMode ?? 'Filesystem',
    ];
  },
);

export const persistentVolumeClaims = printer<PersistentVolumeClaim>(
  [
    NAME,
    column('Status', 'string', DOC['PersistentVolumeClaimStatus.phase']),
    column('Volume', 'string', DOC['PersistentVolumeClaimSpec.volumeName']),
    column('Capacity', 'string', DOC['PersistentVolumeClaimStatus.capacity']),
    column('Access Modes', 'string', DOC['PersistentVolumeClaimStatus.accessModes']),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE,
    wide('VolumeMode', 'string', DOC['PersistentVolumeClaimSpec.volumeMode']),
  ],
  (obj, now) => {
    const spec = obj.spec ?? {};
    const volume = spec.volumeName ?? '';
    // Capacity and access modes are the bound volume's, so they stay blank until binding.
    const bound = volume !== '';
    return [
      obj.metadata?.name ?? '',
      // SetDefaults_PersistentVolumeClaim: Pending and Filesystem when unset.
      terminating(obj.metadata) ? 'Terminating' : obj.status?.phase || 'Pending',
      volume,
      bound ? quantity(obj.status?.capacity?.['storage']) : '',
      bound ? accessModes(obj.status?.accessModes) : '',
      storageClass(obj.metadata, spec.storageClassName),
      spec.volumeAttributesClassName ?? '<unset>',
      since(obj.metadata?.creationTimestamp, now),
      spec.volumeMode ?? 'Filesystem',
    ];
  },
);
